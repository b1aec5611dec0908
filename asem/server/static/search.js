// ASEM console, the overview (counts and charts) and search (hits with their score's parts).
import { barChart, partsTable } from "./charts.js";
import { field, filterForm, formParams, noteQuery } from "./forms.js";
import { PARTS, api, fail, fmt, h, refresh, short, show, tags } from "./core.js";

// -- overview ---------------------------------------------------------------------------
export async function overviewView(root) {
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

// -- search -----------------------------------------------------------------------------
let searchRenders = 0;

export async function searchView(root, params) {
  const extra = [
    field("q", "Query", "search", params.get("q"), { required: true, class: "wide" }),
    field("k", "Results (k)", "number", params.get("k") || "10", { min: 1, max: 100 }),
  ];
  const form = filterForm(params, { extra, onSubmit: (event) => {
    event.preventDefault();
    const next = `#/search?${formParams(event.target)}`;
    if (window.location.hash === next) refresh(); else window.location.hash = next;
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
      `${found.hits.length} hits; score = dense + lexical + context + utility + timeliness + usage + date + diversity + speaker`),
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
