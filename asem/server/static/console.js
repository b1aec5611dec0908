// ASEM console, the entry point: sign in, the header, and routing between the views.
import { AUTH, $, ApiError, api, fail, h, say, session } from "./core.js";
import { noteView, notesView } from "./notes.js";
import { overviewView, searchView } from "./search.js";

const store = window.sessionStorage;

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

// -- start ------------------------------------------------------------------------------
// Modules run after the document is parsed: no need to wait for DOMContentLoaded.
{
  $("version").textContent = document.body.dataset.version || "";
  $("login-form").addEventListener("submit", signIn);
  $("tenant-form").addEventListener("submit", switchTenant);
  $("sign-out").addEventListener("click", () => { session.clear(); say(""); showLogin(); });
  window.addEventListener("hashchange", () => { say(""); route(); });
  window.addEventListener("asem:refresh", () => route());
  window.addEventListener("asem:signed-out", () => showLogin());
  window.addEventListener("unhandledrejection", (event) => fail(event.reason || new Error("failed")));
  if (session.open) enter(); else showLogin();
}
