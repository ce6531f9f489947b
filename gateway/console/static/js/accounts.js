// Accounts: balances, an account's movements, top-up, and the margin report.
import { gql, refusal } from "./api.js";
import { h, notice, say, table, TEXT, when } from "./dom.js";

const ACCOUNTS = `query Accounts { accounts { name currency state balance held available creditLimit
  lowBalance spendToday spendThisMonth } }`;
const MOVEMENTS = `query Movements($name: String!) { account(name: $name) { name currency
  movements(first: 100) { nodes { id kind amount orderId reason createdAt } } } }`;
const TOP_UP = `mutation TopUp($name: String!, $amount: Decimal!, $reason: String) {
  topUp(name: $name, amount: $amount, reason: $reason) { __typename
    ... on MovementSuccess { account { name balance currency } movement { id amount } }
    ... on UserError { message code } } }`;
const MARGIN = `query Margin { marginReport { account provider day orders revenue cost margin } }`;

async function movements(name, into) {
  const account = (await gql(MOVEMENTS, { name })).account;
  if (!account) return into.replaceChildren(h("p", { class: "alert", role: "alert" }, `No account ${name}.`));
  into.replaceChildren(h("h2", {}, `Movements of ${account.name} (${account.currency})`),
    table([
      ["When", (m) => when(m.createdAt)], ["Kind", (m) => m.kind], ["Amount", (m) => `${m.amount} ${account.currency}`, true],
      ["Order", (m) => (m.orderId ? h("a", { href: `#/order/${Number(m.orderId)}` }, `#${m.orderId}`) : "—")],
      ["Reason", (m) => m.reason || "—", TEXT],
    ], account.movements.nodes, "Movements"));
}

function topUpForm(names, reload) {
  const account = h("select", { id: "topup-account" }, names.map((n) => h("option", { value: n }, n)));
  const amount = h("input", { id: "topup-amount", type: "text", inputmode: "decimal", required: true, placeholder: "100.00" });
  const reason = h("input", { id: "topup-reason", type: "text", placeholder: "payment reference" });
  const status = notice("status");
  const alert = notice("alert");
  const form = h("form", { class: "inline", "aria-label": "Top up" },
    h("label", { for: "topup-account" }, "Account", account), h("label", { for: "topup-amount" }, "Amount", amount),
    h("label", { for: "topup-reason" }, "Reason", reason), h("button", { type: "submit" }, "Top up"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    say(status, "");
    say(alert, "");
    try {
      const answer = (await gql(TOP_UP, { name: account.value, amount: amount.value.trim(), reason: reason.value.trim() || null })).topUp;
      const refused = refusal(answer);
      if (refused) throw new Error(refused);
      say(status, `Topped up ${answer.account.name} by ${answer.movement.amount}: balance ${answer.account.balance} ${answer.account.currency}.`);
      await reload();
    } catch (error) {
      say(alert, String(error));
    }
  });
  return h("section", { class: "card" }, h("h2", {}, "Top up"), form, status, alert);
}

/** The margin report; its figures are in the base currency, every account's (`currencies`). */
async function margin(currencies) {
  const rows = (await gql(MARGIN)).marginReport;
  if (!rows.length) return h("p", { class: "muted" }, "No settled client orders in the last 30 days.");
  const of = (r, amount) => (currencies.has(r.account) ? `${amount} ${currencies.get(r.account)}` : amount);
  return table([
    ["Day", (r) => r.day], ["Account", (r) => r.account], ["Provider", (r) => r.provider || "—"],
    ["Orders", (r) => r.orders, true], ["Revenue", (r) => of(r, r.revenue), true], ["Cost", (r) => of(r, r.cost), true],
    ["Margin", (r) => h("span", { class: Number(r.margin) < 0 ? "bad" : null }, of(r, r.margin)), true],
  ], rows, "Margin report");
}

export async function render(view) {
  const list = h("div", {});
  const chosen = h("div", {});
  const marginBox = h("div", {});
  const reload = async () => {
    const accounts = (await gql(ACCOUNTS)).accounts;
    list.replaceChildren(accounts.length ? table([
      ["Account", (a) => {
        const open = h("button", { type: "button", class: "secondary", "data-account": a.name }, a.name);
        open.addEventListener("click", () => movements(a.name, chosen).catch((e) => chosen.replaceChildren(h("p", { class: "alert", role: "alert" }, String(e)))));
        return open;
      }],
      ["State", (a) => a.state], ["Balance", (a) => h("span", { class: a.lowBalance !== null && Number(a.balance) < Number(a.lowBalance) ? "bad" : null }, `${a.balance} ${a.currency}`), true],
      // Every figure of an account is in its own currency, which need not be the base one.
      ["Held", (a) => `${a.held} ${a.currency}`, true], ["Available", (a) => `${a.available} ${a.currency}`, true],
      ["Today", (a) => `${a.spendToday} ${a.currency}`, true], ["This month", (a) => `${a.spendThisMonth} ${a.currency}`, true],
    ], accounts, "Accounts") : h("p", { class: "muted" }, "No client accounts."));
    return accounts;
  };
  const accounts = await reload();
  view.replaceChildren(h("h1", {}, "Accounts"), h("section", { class: "card" }, list),
    topUpForm(accounts.map((a) => a.name), reload), chosen,
    h("section", { class: "card" }, h("h2", {}, "Margin report (last 30 days)"), marginBox));
  const currencies = new Map(accounts.map((a) => [a.name, a.currency]));
  marginBox.replaceChildren(await margin(currencies).catch((e) => h("p", { class: "alert", role: "alert" }, String(e))));
}
