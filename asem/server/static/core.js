// ASEM console, the shared part: DOM helpers, the session, the API client, the status line.
// Plain ES modules over the /v1 REST API: no framework, no build step.
// The key lives in sessionStorage (this tab only) and goes out as "Authorization: Token <key>".

export const AUTH = document.body.dataset.auth; // "key", or "none" for a server run with --no-auth
const store = window.sessionStorage;
export const PAGE = 25;
export const PARTS = ["dense", "lexical", "context", "utility", "timeliness", "usage", "date",
  "diversity", "speaker"];
const SVG = "http://www.w3.org/2000/svg";
export const $ = (id) => document.getElementById(id);

// -- DOM helpers: text goes in as text, never as HTML ------------------------------------
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  return fill(el, attrs, children);
}
export function s(tag, attrs, ...children) {
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
export function show(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}
export const fmt = (x, digits = 3) => (x === null || x === undefined ? "—" : Number(x).toFixed(digits));
export const day = (iso) => (iso ? iso.slice(0, 10) : "—");
export const when = (iso) => (iso ? iso.replace("T", " ").slice(0, 19) : "—");
export const short = (text, n) => (text.length > n ? text.slice(0, n - 1) + "…" : text);

// Tag chips, or "no tags".
export function tags(list) {
  return h("span", { class: "tags" }, list.length ? list.map((t) => h("span", { class: "tag" }, t)) : "no tags");
}

// -- session ----------------------------------------------------------------------------
export const session = {
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

export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

// One request to the API: the tenant goes as user_id (query for GET/DELETE, body otherwise).
export async function api(method, path, { query = {}, body, key = session.key, user = session.user } = {}) {
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
export function say(message, kind = "error") {
  const box = $("status");
  box.textContent = message;
  box.className = `status ${kind}`;
  box.hidden = !message;
}
export function fail(error) {
  if (error instanceof ApiError && error.status === 401) {
    session.clear();
    window.dispatchEvent(new Event("asem:signed-out")); // the sign-in screen, from console.js
  }
  const what = error instanceof ApiError ? error.message : `unexpected: ${error.message || error}`;
  say(`Error: ${what}`);
}

// Show the current view again (after an edit, a delete, an undo).
export function refresh() {
  window.dispatchEvent(new Event("asem:refresh"));
}
