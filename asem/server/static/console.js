// ASEM console: plain DOM over the /v1 REST API. No framework, no build step.
// The key lives in sessionStorage (this tab only) and goes out as "Authorization: Token <key>".
"use strict";

const AUTH = document.body.dataset.auth; // "key", or "none" for a server run with --no-auth
const store = window.sessionStorage;
const PAGE = 25;
const PARTS = ["dense", "lexical", "context", "utility", "timeliness", "usage"];
const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);

// -- DOM helpers: text goes in as text, never as HTML ------------------------------------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  return fill(el, attrs, children);
}
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  return fill(el, attrs, children);
}
function fill(el, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}
// Replace an element's children, leaving out null/false (replaceChildren would print "null").
function show(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}
const fmt = (x, digits = 3) => (x === null || x === undefined ? "—" : Number(x).toFixed(digits));
const day = (iso) => (iso ? iso.slice(0, 10) : "—");
const when = (iso) => (iso ? iso.replace("T", " ").slice(0, 19) : "—");
const short = (text, n) => (text.length > n ? text.slice(0, n - 1) + "…" : text);

// -- session ----------------------------------------------------------------------------
const session = {
  get key() { return store.getItem("asem.key") || ""; },
  get user() { return store.getItem("asem.user") || ""; },
  get admin() { return store.getItem("asem.admin") === "1" || AUTH === "none"; },
  get open() { return AUTH === "none" ? Boolean(this.user) : Boolean(this.key); },
  save(key, user, admin) {
    store.setItem("asem.key", key);
    store.setItem("asem.user", user);
    store.setItem("asem.admin", admin ? "1" : "0");
  },
  clear() { ["asem.key", "asem.user", "asem.admin"].forEach((k) => store.removeItem(k)); },
};

class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

// One request to the API: the tenant goes as user_id (query for GET/DELETE, body otherwise).
async function api(method, path, { query = {}, body, key = session.key, user = session.user } = {}) {
  const url = new URL(path, window.location.origin);
  const withUser = body === undefined && user ? { user_id: user, ...query } : query;
  for (const [name, value] of Object.entries(withUser)) {
    for (const one of [].concat(value)) {
      if (one !== "" && one !== null && one !== undefined) url.searchParams.append(name, one);
    }
  }
  const headers = { Accept: "application/json" };
  if (key) headers.Authorization = `Token ${key}`;
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(user ? { user_id: user, ...body } : body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (e) {
    throw new ApiError(0, "network", "the server did not answer (is `asem serve` running?)");
  }
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  if (!response.ok) {
    const message = (data && data.message) || `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, (data && data.code) || "http_error", message);
  }
  return data;
}

// -- status line: every failure ends here, never as a blank page ---------------------------
function say(message, kind = "error") {
  const box = $("status");
  box.textContent = message;
  box.className = `status ${kind}`;
  box.hidden = !message;
}
function fail(error) {
  if (error instanceof ApiError && error.status === 401) {
    session.clear();
    showLogin();
  }
  const what = error instanceof ApiError ? error.message : `unexpected: ${error.message || error}`;
  say(`Error: ${what}`);
}

// -- sign in ----------------------------------------------------------------------------
function showLogin() {
  $("login").hidden = false;
  $("view").replaceChildren();
  $("nav").hidden = true;
  $("tenant-form").hidden = true;
  $("sign-out").hidden = AUTH === "none";
  $("who").textContent = "";
  $("login-key-row").hidden = AUTH === "none";
  $("login-user").required = AUTH === "none";
  (AUTH === "none" ? $("login-user") : $("login-key")).focus();
}

async function signIn(event) {
  event.preventDefault();
  say("");
  const key = AUTH === "none" ? "" : $("login-key").value.trim();
  const user = $("login-user").value.trim();
  if (AUTH !== "none" && !key) return say("Error: enter an API key");
  if (AUTH === "none" && !user) return say("Error: this server runs without keys: enter a user id");
  try {
    let admin = AUTH === "none";
    if (!admin) {
      try {
        await api("GET", "/v1/stats", { key, user: "" });
      } catch (e) {
        if (!(e instanceof ApiError && e.code === "scope_required")) throw e;
        admin = true; // an admin key acts for the user it names
      }
      if (admin && !user) return say("Error: this is an admin key: enter the user id to open");
    }
    if (user) await api("GET", "/v1/stats", { key, user });
    session.save(key, user, admin);
    $("login-key").value = "";
    enter();
  } catch (e) {
    say(`Error: ${e.message}`);
  }
}

function enter() {
  $("login").hidden = true;
  $("nav").hidden = false;
  $("sign-out").hidden = AUTH === "none" && !session.user;
  $("tenant-form").hidden = !session.admin;
  $("tenant-input").value = session.user;
  $("who").textContent = session.user ? `user: ${session.user}` : "your notes";
  if (!window.location.hash || window.location.hash === "#") window.location.hash = "#/notes";
  else route();
}

function switchTenant(event) {
  event.preventDefault();
  const user = $("tenant-input").value.trim();
  if (!user) return say("Error: enter the user id to switch to");
  api("GET", "/v1/stats", { user }).then(() => {
    store.setItem("asem.user", user);
    say(`Now showing user ${user}`, "info");
    enter();
  }, fail);
}

// -- routing: #/overview, #/notes?..., #/note/<id>, #/search?... -----------------------------
function parseHash() {
  const [path, query = ""] = window.location.hash.replace(/^#\/?/, "").split("?");
  return { parts: path.split("/").map(decodeURIComponent), params: new URLSearchParams(query) };
}

async function route() {
  if (!session.open) return showLogin();
  const { parts, params } = parseHash();
  const view = parts[0] || "notes";
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.view === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const root = $("view");
  root.dataset.view = view;
  root.setAttribute("aria-busy", "true");
  try {
    if (view === "overview") await overviewView(root);
    else if (view === "note" && parts[1]) await noteView(root, parts[1]);
    else if (view === "search") await searchView(root, params);
    else await notesView(root, params);
  } catch (e) {
    fail(e);
    if (!root.firstChild) root.append(h("p", { class: "error" }, "This view could not be loaded."));
  } finally {
    root.removeAttribute("aria-busy");
    performance.mark("asem:view"); // when a view is on screen (benchmarks/console_timing.py)
  }
}

// -- overview ---------------------------------------------------------------------------
async function overviewView(root) {
  const data = await api("GET", "/v1/overview");
  const cards = h("div", { class: "cards" },
    card("Notes", data.notes), card("Long-term", data.tiers.long_term || 0),
    card("Short-term", data.tiers.short_term || 0), card("Mean utility", fmt(data.mean_utility, 2)),
    data.jobs ? card("LLM jobs pending", data.jobs.pending + data.jobs.running) : null);
  const jobs = data.jobs
    ? h("p", { id: "jobs" }, `LLM jobs: ${data.jobs.pending} pending, ${data.jobs.running} running, `
        + `${data.jobs.done} done, ${data.jobs.failed} failed.`)
    : h("p", { id: "jobs", class: "muted" }, "No language model configured: no LLM jobs.");
  show(root, 
    h("h1", {}, "Overview"), cards, jobs,
    h("h2", {}, `Notes over time (by ${data.granularity} of event time)`),
    barChart(data.over_time, { label: "notes per " + data.granularity, id: "chart-time" }),
    h("h2", {}, "Utility distribution"),
    barChart(data.utility, { label: "notes per utility bin", id: "chart-utility", every: 2 }));
}
function card(label, value) {
  return h("div", { class: "card" }, h("span", { class: "card-value" }, value), h("span", {}, label));
}

// A bar chart of [{start, count}] as inline SVG; each bar has a tooltip and the chart a summary.
function barChart(buckets, { label, id, every = 0 }) {
  const width = 720, height = 200, pad = 28, base = height - pad;
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const step = (width - 2 * pad) / Math.max(1, buckets.length);
  const labelEvery = every || Math.max(1, Math.ceil(buckets.length / 8));
  const total = buckets.reduce((n, b) => n + b.count, 0);
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", id, role: "img",
                         "aria-label": `${label}: ${total} in ${buckets.length} bars, at most ${max}` });
  svg.append(s("line", { x1: pad, y1: base, x2: width - pad, y2: base, class: "axis" }),
             s("text", { x: pad, y: 12, class: "tick" }, `max ${max}`));
  buckets.forEach((b, i) => {
    const barHeight = (b.count / max) * (base - 20);
    const x = pad + i * step;
    svg.append(s("rect", { x: x + 1, y: base - barHeight, width: Math.max(1, step - 2),
                           height: barHeight, class: "bar" },
                 s("title", {}, `${b.start}: ${b.count}`)));
    if (i % labelEvery === 0) svg.append(s("text", { x, y: height - 8, class: "tick" }, b.start));
  });
  return h("figure", {}, svg);
}

// -- notes ------------------------------------------------------------------------------
const NOTE_FILTERS = [
  ["text", "Contains", "text"], ["tag", "Tag", "text"], ["keyword", "Keyword", "text"],
  ["speaker", "Speaker", "text"], ["session", "Session", "text"],
  ["since", "Event from", "date"], ["until", "Event until", "date"],
];

function filterForm(params, { onSubmit, extra = [] }) {
  const fields = NOTE_FILTERS.map(([name, label, type]) => field(name, label, type, params.get(name)));
  const tier = h("select", { id: "f-tier", name: "tier" },
    ["", "long_term", "short_term"].map((v) => h("option", { value: v, selected: params.get("tier") === v },
      v ? v.replace("_", "-") : "any")));
  // The filters fold away at phone width unless one is set; the query fields stay out.
  const set = NOTE_FILTERS.some(([name]) => params.get(name)) || params.get("tier");
  const fold = h("details", { class: "fold", open: Boolean(set) || window.innerWidth > 720 },
    h("summary", {}, "Filters"),
    h("div", { class: "grid" }, fields, h("p", {}, h("label", { for: "f-tier" }, "Tier"), tier)));
  return h("form", { class: "filters", role: "search", onsubmit: onSubmit },
    extra.length ? h("div", { class: "grid" }, extra) : null, fold);
}
function field(name, label, type, value, attrs = {}) {
  return h("p", {}, h("label", { for: `f-${name}` }, label),
    h("input", { id: `f-${name}`, name, type, value: value || "", autocomplete: "off", ...attrs }));
}
function formParams(form) {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(form)) if (String(value).trim()) params.set(name, String(value).trim());
  return params;
}
// Filter params of the hash → the REST query of GET /v1/notes (dates: the whole day).
function noteQuery(params) {
  return {
    text: params.get("text"), tags: params.get("tag"), keywords: params.get("keyword"),
    speaker: params.get("speaker"), session_id: params.get("session"), tier: params.get("tier"),
    since: params.get("since") ? `${params.get("since")}T00:00:00` : null,
    until: params.get("until") ? `${params.get("until")}T23:59:59` : null,
  };
}

async function notesView(root, params) {
  const offset = Math.max(0, parseInt(params.get("offset") || "0", 10) || 0);
  const page = await api("GET", "/v1/notes", {
    query: { ...noteQuery(params), order: "newest", count: "true", limit: PAGE, offset } });
  const form = filterForm(params, { onSubmit: (event) => {
    event.preventDefault();
    window.location.hash = `#/notes?${formParams(event.target)}`;
  } });
  form.append(h("p", { class: "actions" }, h("button", { type: "submit" }, "Filter"),
    h("a", { href: "#/notes", class: "button secondary" }, "Clear")));
  const first = page.notes.length ? offset + 1 : 0;
  const summary = h("p", { id: "notes-count", class: "muted" },
    `${first}–${offset + page.notes.length} of ${page.total} notes, newest first`);
  const list = h("ol", { class: "notes", id: "notes-list", start: offset + 1 },
    page.notes.map(noteRow));
  if (!page.notes.length) list.append(h("li", { class: "empty" }, "No notes match."));
  const go = (to) => { params.set("offset", String(to)); window.location.hash = `#/notes?${params}`; };
  const pager = h("nav", { class: "pager", "aria-label": "Pages" },
    h("button", { type: "button", disabled: offset === 0, onclick: () => go(Math.max(0, offset - PAGE)) }, "← Newer"),
    h("button", { type: "button", disabled: page.next_offset === null, onclick: () => go(page.next_offset) }, "Older →"));
  show(root, h("h1", {}, "Notes"), form, summary, list, pager);
}

function noteRow(note) {
  return h("li", { class: "note-row", "data-id": note.id },
    h("a", { href: `#/note/${encodeURIComponent(note.id)}`, class: "content" }, note.content),
    h("div", { class: "meta" }, tags(note.tags),
      h("span", {}, "event ", h("time", { datetime: note.event_time }, day(note.event_time))),
      h("span", { class: "utility" }, `utility ${fmt(note.utility, 2)}`),
      h("span", { class: "usage" }, `used ${note.usage_count}×`),
      h("span", { class: "tier" }, note.tier.replace("_", "-"))));
}
function tags(list) {
  return h("span", { class: "tags" }, list.length ? list.map((t) => h("span", { class: "tag" }, t)) : "no tags");
}

// -- one note ---------------------------------------------------------------------------
async function noteView(root, id) {
  const path = `/v1/notes/${encodeURIComponent(id)}`;
  const [note, history] = await Promise.all([
    api("GET", path, { query: { include_deleted: "true" } }), api("GET", `${path}/history`)]);
  const neighbours = await linkedNotes(note);
  const deleted = Boolean(note.deleted_at);
  show(root, 
    h("p", {}, h("a", { href: "#/notes" }, "← All notes")),
    h("h1", {}, "Note"),
    deleted ? h("p", { class: "banner", id: "deleted-banner" },
      `Deleted ${when(note.deleted_at)} (${note.delete_reason || "no reason"}).`) : null,
    h("blockquote", { id: "note-content", class: "note-content" }, note.content),
    noteActions(note, path, deleted),
    h("div", { class: "two" },
      h("section", { "aria-labelledby": "attrs-h" }, h("h2", { id: "attrs-h" }, "Attributes"), attributes(note)),
      h("section", { "aria-labelledby": "graph-h" }, h("h2", { id: "graph-h" }, "Links"),
        graph(note, neighbours), linkList(note, neighbours))),
    h("section", { "aria-labelledby": "hist-h" }, h("h2", { id: "hist-h" }, "History"), timeline(history.entries)));
}

async function linkedNotes(note) {
  const found = {};
  await Promise.all(note.links.slice(0, 12).map(async (link) => {
    try {
      found[link.target_id] = await api("GET", `/v1/notes/${encodeURIComponent(link.target_id)}`);
    } catch (e) { found[link.target_id] = null; }
  }));
  return found;
}

function noteActions(note, path, deleted) {
  const box = h("div", { class: "actions", id: "note-actions" });
  const done = (message) => { say(message, "info"); route(); };
  if (deleted) {
    box.append(h("button", { type: "button", id: "undo", onclick: () =>
      api("POST", `${path}/undo`).then(() => done("Note restored."), fail) }, "Undo delete"));
    return box;
  }
  const editor = h("form", { id: "edit-form", class: "edit", hidden: true, onsubmit: (event) => {
    event.preventDefault();
    const content = editor.querySelector("textarea").value.trim();
    if (!content) return say("Error: the content cannot be empty");
    api("PATCH", path, { body: { content, reason: "edited in the console" } })
      .then(() => done("Note saved."), fail);
  } },
    h("label", { for: "edit-content" }, "Content"),
    h("textarea", { id: "edit-content", rows: 4 }, note.content),
    h("p", { class: "actions" }, h("button", { type: "submit", id: "save" }, "Save"),
      h("button", { type: "button", class: "secondary", onclick: () => { editor.hidden = true; } }, "Cancel")));
  box.append(
    h("button", { type: "button", id: "edit", onclick: () => {
      editor.hidden = false; editor.querySelector("textarea").focus(); } }, "Edit"),
    h("button", { type: "button", id: "delete", class: "danger", onclick: () =>
      api("DELETE", path, { query: { reason: "deleted in the console" } })
        .then(() => done("Note deleted. Undo brings it back."), fail) }, "Delete"),
    editor);
  return box;
}

function attributes(note) {
  const validity = note.valid_until
    ? `ended ${when(note.valid_until)}${note.superseded_by ? "" : " (retracted)"}`
    : `current${note.valid_from ? ` since ${when(note.valid_from)}` : ""}`;
  const rows = [
    ["Id", note.id], ["Tier", note.tier.replace("_", "-")],
    ["Utility", fmt(note.utility, 3)], ["Usage", `${note.usage_count}× (last ${when(note.last_used)})`],
    ["Keywords", note.keywords.join(", ") || "—"], ["Tags", tags(note.tags)],
    ["Context", note.context || "—"], ["Entities", note.entities.join(", ") || "—"],
    ["Event time", when(note.event_time)], ["Observed", when(note.observed_at)],
    ["Written", when(note.created_at)], ["Updated", when(note.updated_at)],
    ["Dates", note.dates.map((d) => `${d.phrase} → ${d.date} (${d.granularity})`).join("; ") || "—"],
    ["Validity", validity],
    ["Superseded by", note.superseded_by
      ? h("a", { href: `#/note/${encodeURIComponent(note.superseded_by)}` }, note.superseded_by) : "—"],
    ["Scope", `user ${note.user_id}; agent ${note.agent_id || "—"}; session ${note.session_id || "—"}`],
    ["Source", note.source_id || "—"], ["Turn ids", note.turn_ids.join(", ") || "—"],
    ["Written by", `${note.writer} via ${note.channel}`],
  ];
  return h("dl", { class: "attrs", id: "note-attrs" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function linkList(note, neighbours) {
  if (!note.links.length) return h("p", { class: "muted" }, "No links.");
  return h("ul", { class: "links", id: "note-links" }, note.links.map((link) => {
    const target = neighbours[link.target_id];
    return h("li", {}, h("span", { class: "relation" }, link.relation || "related"),
      ` (${fmt(link.strength, 2)}) → `,
      h("a", { href: `#/note/${encodeURIComponent(link.target_id)}` },
        target ? short(target.content, 90) : link.target_id));
  }));
}

// The note in the middle, its neighbours on a circle; each neighbour is a keyboard link.
function graph(note, neighbours) {
  const width = 420, height = 300, cx = width / 2, cy = height / 2, radius = 110;
  const links = note.links.slice(0, 12);
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, class: "graph", id: "note-graph", role: "img",
                         "aria-label": `This note and its ${links.length} linked notes` });
  links.forEach((link, i) => {
    const angle = (2 * Math.PI * i) / Math.max(1, links.length) - Math.PI / 2;
    const x = cx + radius * Math.cos(angle), y = cy + radius * Math.sin(angle);
    const target = neighbours[link.target_id];
    const label = target ? short(target.content, 17) : link.target_id.slice(0, 8);
    svg.append(s("line", { x1: cx, y1: cy, x2: x, y2: y, class: "edge",
                           "stroke-width": 1 + 3 * Math.max(0, link.strength) },
                 s("title", {}, `${link.relation || "related"} (${fmt(link.strength, 2)})`)));
    svg.append(s("a", { href: `#/note/${encodeURIComponent(link.target_id)}`, class: "node-link" },
      s("title", {}, target ? target.content : link.target_id),
      s("circle", { cx: x, cy: y, r: 9, class: "node" }),
      s("text", { x, y: y + (y < cy ? -14 : 22), "text-anchor": "middle", class: "node-label" }, label)));
  });
  svg.append(s("circle", { cx, cy, r: 13, class: "node self" }, s("title", {}, note.content)));
  return h("figure", {}, svg, h("figcaption", { class: "muted" },
    "Middle: this note. Lines: its links (thicker is stronger; hover for the relation). "
    + "Each neighbour opens its note."));
}

// What changed in each history entry: old → new for the fields that differ.
const WATCHED = ["content", "utility", "tier", "tags", "valid_until", "superseded_by", "deleted_at"];
function timeline(entries) {
  return h("ol", { class: "timeline", id: "history" }, entries.map((entry) => {
    const changes = WATCHED.map((name) => {
      const before = entry.old ? entry.old[name] : undefined;
      const after = entry.new ? entry.new[name] : undefined;
      if (JSON.stringify(before ?? null) === JSON.stringify(after ?? null)) return null;
      const show = (v) => (v === undefined || v === null ? "—" : Array.isArray(v) ? v.join(", ") :
        typeof v === "number" ? fmt(v, 3) : String(v));
      return h("li", {}, h("span", { class: "field" }, name), ": ",
        entry.old ? h("del", {}, show(before)) : null, entry.old && entry.new ? " → " : null,
        entry.new ? h("ins", {}, show(after)) : null);
    }).filter(Boolean);
    return h("li", { class: `event op-${entry.op.toLowerCase()}` },
      h("div", { class: "event-head" }, h("span", { class: "op" }, entry.op),
        h("time", { datetime: entry.at }, when(entry.at)), h("span", { class: "muted" }, entry.actor)),
      h("p", { class: "reason" }, entry.reason || "—"),
      changes.length ? h("ul", { class: "changes" }, changes) : null);
  }));
}

// -- search -----------------------------------------------------------------------------
let searchRenders = 0;

async function searchView(root, params) {
  const extra = [
    field("q", "Query", "search", params.get("q"), { required: true, class: "wide" }),
    field("k", "Results (k)", "number", params.get("k") || "10", { min: 1, max: 100 }),
  ];
  const form = filterForm(params, { extra, onSubmit: (event) => {
    event.preventDefault();
    const next = `#/search?${formParams(event.target)}`;
    if (window.location.hash === next) route(); else window.location.hash = next;
  } });
  form.append(h("p", { class: "actions" }, h("button", { type: "submit", id: "search-go" }, "Search")));
  const results = h("div", { id: "results" });
  show(root, h("h1", {}, "Search"), form, results);
  if (!params.get("q")) {
    results.append(h("p", { class: "muted" }, "Each hit shows the parts its score is the sum of."));
    form.querySelector("#f-q").focus();
    return;
  }
  const f = noteQuery(params);
  const filters = { tags: f.tags ? [f.tags] : [], keywords: f.keywords ? [f.keywords] : [],
    since: f.since, until: f.until, session_id: f.session_id, tier: f.tier,
    speaker: f.speaker, text: f.text };
  const k = Math.min(100, Math.max(1, parseInt(params.get("k") || "10", 10) || 10));
  const found = await api("POST", "/v1/search", { body: { query: params.get("q"), k, filters } });
  // One scale for every hit's bars, so a part can be compared down the list.
  const scale = Math.max(0.25, ...found.hits.flatMap((hit) =>
    hit.parts ? PARTS.map((p) => Math.abs(hit.parts[p])) : []));
  show(results, 
    h("p", { class: "muted", id: "search-summary" },
      `${found.hits.length} hits; score = dense + lexical + context + utility + timeliness + usage`),
    h("ol", { class: "hits", id: "hits" }, found.hits.map((hit) => hitRow(hit, found.retrieval_id, scale))),
    found.hits.length ? null : h("p", { class: "empty" }, "No notes match this search and these filters."));
  root.dataset.renders = String(++searchRenders);
}

function hitRow(hit, retrievalId, scale) {
  const note = hit.note;
  const utility = h("span", { class: "utility" }, `utility ${fmt(note.utility, 3)}`);
  const verdict = h("span", { class: "verdict", "aria-live": "polite" });
  const give = (reward) => api("POST", "/v1/feedback", {
    body: { retrieval_id: retrievalId, reward, note_ids: [note.id] } }).then((result) => {
    const change = result.utilities[note.id];
    utility.textContent = `utility ${fmt(change.new, 3)}`;
    verdict.textContent = `utility ${fmt(change.old, 3)} → ${fmt(change.new, 3)}`;
  }, fail);
  return h("li", { class: "hit", "data-id": note.id },
    h("div", { class: "hit-head" },
      h("a", { href: `#/note/${encodeURIComponent(note.id)}`, class: "content" }, note.content),
      h("span", { class: "score" }, `score ${fmt(hit.score)}`)),
    h("div", { class: "meta" }, tags(note.tags), utility, h("span", {}, `used ${note.usage_count}×`),
      h("span", {}, `cosine ${fmt(hit.similarity)}`), h("span", {}, `bm25 ${fmt(hit.lexical, 2)}`),
      hit.via !== "recall" ? h("span", { class: "tag" }, `via ${hit.via}`) : null,
      hit.superseded ? h("span", { class: "tag" }, "past fact") : null),
    hit.parts ? partsTable(hit, scale) : h("p", { class: "muted" }, `score from ${hit.via}: no parts`),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "up", "aria-label": `Useful: +1 for “${short(note.content, 40)}”`,
                    onclick: () => give(1) }, "+1"),
      h("button", { type: "button", class: "down", "aria-label": `Not useful: −1 for “${short(note.content, 40)}”`,
                    onclick: () => give(-1) }, "−1"), verdict));
}

// The six parts as a table with a bar each (drawn from the middle: left is negative).
function partsTable(hit, scale) {
  const rows = PARTS.map((name) => {
    const value = hit.parts[name];
    const width = 120, half = width / 2, length = (Math.abs(value) / scale) * half;
    const bar = s("svg", { viewBox: `0 0 ${width} 12`, width, height: 12, "aria-hidden": "true", class: "part-bar" },
      s("line", { x1: half, y1: 0, x2: half, y2: 12, class: "axis" }),
      s("rect", { x: value < 0 ? half - length : half, y: 2, width: length, height: 8,
                  class: value < 0 ? "neg" : "pos" }));
    return h("tr", { "data-part": name }, h("th", { scope: "row" }, name),
      h("td", { class: "num" }, fmt(value)), h("td", {}, bar));
  });
  const sum = PARTS.reduce((n, p) => n + hit.parts[p], 0);
  return h("table", { class: "parts" },
    h("caption", {}, "Why it ranked here"),
    h("tbody", {}, rows,
      h("tr", { class: "sum" }, h("th", { scope: "row" }, "sum"), h("td", { class: "num" }, fmt(sum)), h("td"))));
}

// -- start ------------------------------------------------------------------------------
document.addEventListener("DOMContentLoaded", () => {
  $("version").textContent = document.body.dataset.version || "";
  $("login-form").addEventListener("submit", signIn);
  $("tenant-form").addEventListener("submit", switchTenant);
  $("sign-out").addEventListener("click", () => { session.clear(); say(""); showLogin(); });
  window.addEventListener("hashchange", () => { say(""); route(); });
  window.addEventListener("unhandledrejection", (event) => fail(event.reason || new Error("failed")));
  if (session.open) enter(); else showLogin();
});
