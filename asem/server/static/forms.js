// ASEM console, the filters the notes and search views share; they live in the address.
import { h } from "./core.js";

export const NOTE_FILTERS = [
  ["text", "Contains", "text"], ["tag", "Tag", "text"], ["keyword", "Keyword", "text"],
  ["speaker", "Speaker", "text"], ["session", "Session", "text"],
  ["since", "Event from", "date"], ["until", "Event until", "date"],
];

export function filterForm(params, { onSubmit, extra = [] }) {
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
export function field(name, label, type, value, attrs = {}) {
  return h("p", {}, h("label", { for: `f-${name}` }, label),
    h("input", { id: `f-${name}`, name, type, value: value || "", autocomplete: "off", ...attrs }));
}
export function formParams(form) {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(form)) if (String(value).trim()) params.set(name, String(value).trim());
  return params;
}
// Filter params of the hash → the REST query of GET /v1/notes (dates: the whole day).
export function noteQuery(params) {
  return {
    text: params.get("text"), tags: params.get("tag"), keywords: params.get("keyword"),
    speaker: params.get("speaker"), session_id: params.get("session"), tier: params.get("tier"),
    since: params.get("since") ? `${params.get("since")}T00:00:00` : null,
    until: params.get("until") ? `${params.get("until")}T23:59:59` : null,
  };
}
