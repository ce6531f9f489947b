// One order: its facts, whole history, refills, and the actions an operator takes (resolve an
// UNCONFIRMED order, refill, cancel). Refusals show as the API gives them.
import { gql, refusal } from "./api.js";
import { h, link, money, notice, say, table, when } from "./dom.js";
import * as live from "./live.js";

const ORDER = `id clientId serviceId parentId status statusRaw provider link quantity startCount remains error
  cost { amount currency } charge { amount currency } createdAt updatedAt
  service { id name }
  history { at kind fromStatus toStatus }
  refills { id status statusRaw createdAt updatedAt }`;
const GET = `query Order($id: Int!) { order(id: $id) { ${ORDER} } }`;
const RESOLVE = `mutation Resolve($id: Int!, $pid: String, $notPlaced: Boolean!, $force: Boolean!) {
  resolveOrder(id: $id, providerOrderId: $pid, notPlaced: $notPlaced, force: $force) {
    __typename
    ... on ResolveOrderSuccess { resolvedBy order { id status } }
    ... on UserError { message code }
  } }`;
const REFILL = `mutation Refill($ids: [Int!]!) { refillOrders(ids: $ids) { results { __typename
  ... on RefillRequested { refill { id status note } }
  ... on UserError { message code } } } }`;
const CANCEL = `mutation Cancel($ids: [Int!]!) { cancelOrders(ids: $ids) { results { __typename
  ... on CancelRequested { order { id status } }
  ... on UserError { message code } } } }`;

function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value ?? "—")]));
}

function actions(order, status, alert, reload) {
  const act = (label, run, secondary) => {
    const button = h("button", { type: "button", class: secondary ? "secondary" : null }, label);
    button.addEventListener("click", async () => {
      button.disabled = true;
      say(status, "");
      say(alert, "");
      try {
        const outcome = await run();
        say(status, outcome);
        await reload();
      } catch (error) {
        say(alert, String(error));
      } finally {
        button.disabled = false;
      }
    });
    return button;
  };
  const one = async (query, name) => {
    const result = (await gql(query, { ids: [order.id] }))[name].results[0];
    const refused = refusal(result);
    if (refused) throw new Error(refused);
    return result;
  };
  const parts = [];
  if (order.status === "UNCONFIRMED") {
    const pid = h("input", { id: "provider-order-id", type: "text", autocomplete: "off" });
    const force = h("input", { id: "force", type: "checkbox" });
    const resolve = (notPlaced) => async () => {
      const variables = { id: order.id, pid: notPlaced ? null : pid.value.trim() || null, notPlaced, force: force.checked };
      const answer = (await gql(RESOLVE, variables)).resolveOrder;
      const refused = refusal(answer);
      if (refused) throw new Error(refused);
      return `Resolved by ${answer.resolvedBy}: now ${answer.order.status}.`;
    };
    parts.push(h("section", { class: "card", "aria-label": "Resolve" },
      h("h2", {}, "Resolve this UNCONFIRMED order"),
      h("p", { class: "muted" }, `Check the order list at ${order.provider || "its provider"}: if it is there, give its id; if not, mark it not placed.`),
      h("div", { class: "inline" },
        h("label", { for: "provider-order-id" }, "Provider's order id", pid),
        h("label", { class: "check", for: "force" }, force, " record even if unconfirmed or in use"),
        act("Placed", resolve(false)),
        act("Not placed", resolve(true), true))));
  }
  parts.push(h("div", { class: "inline" },
    act("Refill", async () => {
      const refill = (await one(REFILL, "refillOrders")).refill;
      if (refill?.note) return `Refill #${refill.id} is ${refill.status}: ${refill.note}`;
      return `Refill requested (#${refill?.id ?? "?"}).`;
    }, true),
    act("Cancel", async () => `Cancel requested: now ${(await one(CANCEL, "cancelOrders")).order.status}.`, true)));
  return parts;
}

export async function render(view, id) {
  const status = notice("status");
  const alert = notice("alert");
  const body = h("div", {});
  if (!/^[1-9][0-9]{0,9}$/.test(id || "") || Number(id) > 2147483647) {
    view.replaceChildren(h("p", { class: "alert", role: "alert" }, `"${id || ""}" is not an order id.`));
    return;
  }
  let reads = 0;
  const reload = async () => {
    // Reads may overlap (several events, an action and an event): only the latest one shows.
    const read = ++reads;
    const order = (await gql(GET, { id: Number(id) })).order;
    if (read !== reads) return;
    if (!order) {
      body.replaceChildren(h("p", { class: "alert", role: "alert" }, `Order ${id} does not exist or this key cannot see it.`));
      return;
    }
    body.replaceChildren(
      h("h1", {}, `Order #${order.id} `, h("span", { class: "badge", id: "order-status" }, order.status)),
      h("section", { class: "card" }, facts([
        ["Client", order.clientId],
        ["Part of", order.parentId ? link(`#/order/${order.parentId}`, `order #${order.parentId}`) : "—"],
        ["Service", order.service ? `${order.service.id} · ${order.service.name}` : order.serviceId],
        ["Provider", order.provider], ["Provider's status", order.statusRaw], ["Link", order.link],
        ["Quantity", order.quantity], ["Start count", order.startCount], ["Remains", order.remains],
        ["Cost (client)", money(order.cost)], ["Charge (provider)", money(order.charge)],
        ["Error", order.error], ["Created", when(order.createdAt)], ["Updated", when(order.updatedAt)],
      ])),
      ...actions(order, status, alert, reload),
      h("h2", {}, "History"),
      table([
        ["When", (e) => when(e.at)], ["What", (e) => e.kind],
        ["From", (e) => e.fromStatus || "—"], ["To", (e) => e.toStatus || "—"],
      ], order.history, "History"),
      h("h2", {}, "Refills"),
      order.refills.length ? table([
        ["Refill", (r) => `#${r.id}`], ["Status", (r) => r.status], ["Provider's status", (r) => r.statusRaw || "—"],
        ["Requested", (r) => when(r.createdAt)], ["Updated", (r) => when(r.updatedAt)],
      ], order.refills, "Refills") : h("p", { class: "muted" }, "None."));
  };
  view.replaceChildren(status, alert, body);
  // Registered before the first read, so that leaving the page while it loads forgets them.
  const again = () => reload().catch((error) => say(alert, String(error)));
  live.listen((update) => {
    if (update.order.id === Number(id)) again();
  });
  live.onResume(again);
  await reload();
}
