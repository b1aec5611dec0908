// ASEM console, the notes: the paged, filtered list and one note with its links and history.
import { graph } from "./charts.js";
import { filterForm, formParams, noteQuery } from "./forms.js";
import { PAGE, api, day, fail, fmt, h, refresh, say, short, show, tags, when } from "./core.js";

export async function notesView(root, params) {
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
  return h("li", { class: note.quarantined ? "note-row quarantined" : "note-row", "data-id": note.id },
    h("a", { href: `#/note/${encodeURIComponent(note.id)}`, class: "content" }, note.content),
    h("div", { class: "meta" },
      note.quarantined ? h("span", { class: "badge quarantine" }, "quarantined") : null, tags(note.tags),
      h("span", {}, "event ", h("time", { datetime: note.event_time }, day(note.event_time))),
      h("span", { class: "utility" }, `utility ${fmt(note.utility, 2)}`),
      h("span", { class: "usage" }, `used ${note.usage_count}×`),
      h("span", { class: "tier" }, note.tier.replace("_", "-"))));
}

// -- one note ---------------------------------------------------------------------------
export async function noteView(root, id) {
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
    note.quarantined ? h("p", { class: "banner", id: "quarantine-banner" },
      `Quarantined: held back as instructions aimed at the agent (score ${fmt(note.quarantine_score, 2)}, `
      + `from ${note.trust.replace("_", " ")}). Searches leave it out unless asked; feedback `
      + "cannot promote it. Release it if it is harmless.") : null,
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
  const done = (message) => { say(message, "info"); refresh(); };
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
  const guard = note.quarantined
    ? h("button", { type: "button", id: "release", onclick: () =>
      api("POST", `${path}/release`, { body: { reason: "released in the console" } })
        .then(() => done("Note released: searches return it again."), fail) }, "Release")
    : h("button", { type: "button", id: "quarantine", class: "secondary", onclick: () =>
      api("POST", `${path}/quarantine`, { body: { reason: "quarantined in the console" } })
        .then(() => done("Note quarantined: searches leave it out."), fail) }, "Quarantine");
  box.append(guard,
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
    ["Trust", `${note.trust.replace("_", " ")}${note.quarantined ? ", quarantined" : ""}`
      + (note.quarantine_score === null || note.quarantine_score === undefined
        ? "" : ` (detector score ${fmt(note.quarantine_score, 2)})`)],
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
