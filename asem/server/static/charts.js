// ASEM console, the drawings: bar charts, the link graph and a score's parts, as inline SVG.
import { PARTS, fmt, h, s, short } from "./core.js";

// A bar chart of [{start, count}] as inline SVG; each bar has a tooltip and the chart a summary.
export function barChart(buckets, { label, id, every = 0 }) {
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

// The note in the middle, its neighbours on a circle; each neighbour is a keyboard link.
export function graph(note, neighbours) {
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

// The six parts as a table with a bar each (drawn from the middle: left is negative).
export function partsTable(hit, scale) {
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
