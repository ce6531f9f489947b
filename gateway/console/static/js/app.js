// The console's shell: the key prompt, the navigation and the router (#/page/argument).
import { ApiError, gql, key } from "./api.js";
import { h, notice, say } from "./dom.js";
import * as accounts from "./accounts.js";
import * as catalog from "./catalog.js";
import * as live from "./live.js";
import * as order from "./order.js";
import * as orders from "./orders.js";
import * as overview from "./overview.js";
import * as webhooks from "./webhooks.js";

const PAGES = { overview, orders, order, catalog, accounts, webhooks };
const OPERATOR = ["ops", "admin"];
const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");

async function viewer() {
  const data = await gql("query Viewer { viewer { keyName clientId scopes } }");
  return data.viewer;
}

function prompt(message) {
  nav.hidden = true;
  who.textContent = "";
  const input = h("input", { id: "key", type: "password", autocomplete: "off", spellcheck: "false", required: true });
  const alert = notice("alert");
  say(alert, message || "");
  // No name on the input and form-action 'none' in the policy: the key can never be submitted
  // as a form field, so it never lands in a URL or a server log.
  const form = h("form", { class: "card login", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "Operator key"),
    h("p", { class: "muted" }, "An ops (read-only) or admin key. It is kept in this tab until you sign out or close it."),
    h("label", { for: "key" }, "Key", input),
    alert,
    h("p", {}, h("button", { type: "submit" }, "Sign in")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    key.set(input.value.trim());
    input.value = "";
    await start();
  });
  main.replaceChildren(h("section", { class: "card login" }, form));
  input.focus();
}

async function start() {
  if (!key.get()) return prompt();
  let me;
  try {
    me = await viewer();
  } catch (error) {
    // Only a refusal of the key forgets it; the gateway down or the network gone keeps it,
    // so signing in again is one click once the gateway answers.
    if (error instanceof ApiError && ["NETWORK", "HTTP"].includes(error.code)) return unreachable(error);
    key.clear();
    return prompt(error instanceof ApiError ? error.toString() : "The gateway could not be reached.");
  }
  if (!me.scopes.some((scope) => OPERATOR.includes(scope))) {
    key.clear();
    return prompt(`The key "${me.keyName}" is not an operator key (scopes: ${me.scopes.join(", ")}).`);
  }
  nav.hidden = false;
  who.textContent = `${me.keyName} · ${me.scopes.join(", ")}`;
  live.start();
  if (!location.hash) location.hash = "#/overview";
  else route();
}

/** The key could not be checked: say why, keep it, and offer to try again. */
function unreachable(error) {
  nav.hidden = true;
  who.textContent = "";
  const alert = notice("alert");
  say(alert, `${error.toString()}. The key is kept in this tab.`);
  const retry = h("button", { type: "button" }, "Try again");
  retry.addEventListener("click", () => start());
  const forget = h("button", { type: "button", class: "secondary" }, "Use another key");
  forget.addEventListener("click", () => { key.clear(); prompt(); });
  main.replaceChildren(h("section", { class: "card login" },
    h("h1", {}, "Operator key"), alert, h("p", {}, retry, " ", forget)));
  retry.focus();
}

let shown = 0;

/** The key was revoked (or expired) while the tab was open: ask for one again. */
function refusedKey(error) {
  key.clear();
  live.stop();
  prompt(error.toString());
}

// The live connection is closed when the key is revoked: check it now rather than at the next
// page, so a page left open does not sit on figures that no longer change.
live.onRefused(async () => {
  try {
    await viewer();
  } catch (error) {
    if (error instanceof ApiError && error.code === "UNAUTHENTICATED") return refusedKey(error);
  }
  setTimeout(() => key.get() && live.start(), 5000);
});

async function route() {
  if (!key.get()) return prompt();
  const [, page = "overview", arg] = location.hash.split("/");
  const module = PAGES[page] || overview;
  for (const a of nav.querySelectorAll("a")) {
    const current = a.getAttribute("href") === `#/${page}` || (page === "order" && a.getAttribute("href") === "#/orders");
    if (current) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const turn = ++shown;
  const view = h("div", { "aria-busy": "true" }, h("p", { class: "muted" }, "Loading…"));
  main.replaceChildren(view);
  live.clear();
  try {
    await module.render(view, arg ? decodeURIComponent(arg) : undefined);
  } catch (error) {
    if (error instanceof ApiError && error.code === "UNAUTHENTICATED") return refusedKey(error);
    if (turn === shown) view.replaceChildren(h("div", { class: "alert", role: "alert" }, String(error)));
  }
  view.removeAttribute("aria-busy");
  if (turn === shown) main.focus();
}

document.getElementById("sign-out").addEventListener("click", () => {
  key.clear();
  live.stop();
  history.replaceState(null, "", location.pathname);
  prompt("Signed out.");
});
window.addEventListener("hashchange", route);
start();
