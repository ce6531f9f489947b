// Orders: filters (state and client on the server; provider, service, link and dates here),
// newest first, live status updates.
import { gql } from "./api.js";
import { h, link, localDay, money, notice, say, table, TEXT, when } from "./dom.js";
import * as live from "./live.js";

const STATES = ["RECEIVED", "UNCONFIRMED", "FAILED", "PENDING", "IN_PROGRESS", "COMPLETED", "PARTIAL",
  "CANCELED", "REFUNDED", "PAUSED", "EXPIRED", "UNKNOWN"];
const LIST = `query Orders($filter: OrderFilter, $after: String) {
  orders(filter: $filter, first: 500, after: $after) {
    nodes { id clientId serviceId status provider link quantity cost { amount currency } createdAt }
    pageInfo { hasNextPage endCursor }
  } }`;

function field(label, input) {
  return h("label", {}, label, input);
}

export async function render(view) {
  const state = h("select", { id: "filter-state" }, h("option", { value: "" }, "any"), STATES.map((s) => h("option", { value: s }, s)));
  const client = h("input", { id: "filter-client", type: "search", placeholder: "client id" });
  const provider = h("input", { id: "filter-provider", type: "search", placeholder: "provider" });
  const service = h("input", { id: "filter-service", type: "search", inputmode: "numeric", placeholder: "service id" });
  const text = h("input", { id: "filter-link", type: "search", placeholder: "link contains" });
  const from = h("input", { id: "filter-from", type: "date" });
  const to = h("input", { id: "filter-to", type: "date" });
  const jump = h("input", { id: "goto-order", type: "search", inputmode: "numeric", placeholder: "order id" });
  const count = h("p", { class: "muted", role: "status" });
  const failed = notice("alert");
  const results = h("div", {});
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Load more");
  let loaded = [];
  let cursor = null;

  const shown = () => {
    const p = provider.value.trim().toLowerCase();
    const sid = service.value.trim();
    const words = text.value.trim().toLowerCase();
    const rows = loaded.filter((o) => (!p || (o.provider || "").toLowerCase().includes(p))
      && (!sid || String(o.serviceId) === sid)
      && (!words || (o.link || "").toLowerCase().includes(words))
      // Days of the reader's clock, as the Created column shows the orders.
      && (!from.value || localDay(o.createdAt) >= from.value)
      && (!to.value || localDay(o.createdAt) <= to.value));
    count.textContent = `${rows.length} of ${loaded.length} loaded orders`;
    results.replaceChildren(table([
      ["Order", (o) => link(`#/order/${o.id}`, `#${o.id}`)],
      ["Created", (o) => when(o.createdAt)],
      ["Client", (o) => o.clientId],
      ["Service", (o) => o.serviceId ?? "—", true],
      ["Provider", (o) => o.provider || "—"],
      ["Status", (o) => h("span", { class: "badge", "data-order-status": o.id }, o.status)],
      ["Link", (o) => o.link || "—", TEXT],
      ["Quantity", (o) => o.quantity ?? "—", true],
      ["Cost", (o) => money(o.cost), true],
    ], rows, "Orders"));
  };

  let turn = 0;
  const load = async (again, first = false) => {
    // Only the latest search shows: an earlier answer arriving late is dropped.
    const mine = ++turn;
    const filter = {};
    if (state.value) filter.statuses = [state.value];
    if (client.value.trim()) filter.clientId = client.value.trim();
    say(failed, "");
    let page;
    try {
      page = (await gql(LIST, { filter, after: again ? cursor : null })).orders;
    } catch (error) {
      if (first) throw error; // the page's own load: refused as any page is (a revoked key)
      if (mine !== turn) return;
      // A new search that failed shows no rows: the previous search's are not its answer.
      say(failed, `The orders could not be read: ${error}`);
      if (!again) {
        loaded = [];
        more.hidden = true;
        count.textContent = "";
        results.replaceChildren();
      }
      return;
    }
    if (mine !== turn) return;
    loaded = again ? loaded.concat(page.nodes) : page.nodes;
    cursor = page.pageInfo.endCursor;
    more.hidden = !page.pageInfo.hasNextPage;
    shown();
  };

  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter orders" },
    field("State", state), field("Client", client), field("Provider", provider), field("Service", service),
    field("Link", text), field("From", from), field("To", to),
    h("button", { type: "submit" }, "Search"));
  form.addEventListener("submit", (event) => { event.preventDefault(); load(false); });
  for (const input of [provider, service, text, from, to]) input.addEventListener("input", shown);
  for (const input of [state, client]) input.addEventListener("change", () => load(false));
  more.addEventListener("click", () => load(true));
  const go = h("form", { class: "inline", "aria-label": "Open an order" }, field("Open order", jump), h("button", { type: "submit", class: "secondary" }, "Open"));
  go.addEventListener("submit", (event) => {
    event.preventDefault();
    if (/^\d+$/.test(jump.value.trim())) location.hash = `#/order/${jump.value.trim()}`;
  });

  live.listen((update) => {
    const known = loaded.find((o) => o.id === update.order.id);
    if (known) {
      Object.assign(known, { status: update.order.status, provider: update.order.provider });
      const badge = results.querySelector(`[data-order-status="${update.order.id}"]`);
      if (badge) badge.textContent = update.order.status;
    }
  });

  view.replaceChildren(h("h1", {}, "Orders"), h("section", { class: "card" }, go, form, failed, count, results, more));
  await load(false, true);
}
