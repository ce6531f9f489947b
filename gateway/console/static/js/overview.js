// Overview: providers (health, breaker, balance, catalog sync), orders by state, open
// UNCONFIRMED orders with their age, failing webhook endpoints.
import { gql, rest } from "./api.js";
import { age, h, link, money, notice, say, table, TEXT } from "./dom.js";
import { stackedBars } from "./chart.js";
import * as live from "./live.js";

/** Milliseconds between two readings of the providers' health while the overview shows. */
const REFRESH = 10_000;

const PROVIDERS = `query Providers { providers {
  name health consecutiveFailures cooldownSeconds lastError serviceCount syncedAt
  lastSync { ok services seconds error added changed removed }
  balance { balance { amount currency } baseBalance { amount currency } fetchedAt error low }
} }`;
const QUALITY = `query Quality { providers { name quality { days minSample orders
  completionRate { value sample } deliveredFraction { value sample } failureRate { value sample }
  startSeconds { value sample } chargeFraction { value sample } } } }`;
const ORDERS = `query Recent { orders(first: 500) { nodes { id status createdAt } } }`;
const UNCONFIRMED = `query Unconfirmed { orders(filter: {statuses: [UNCONFIRMED]}, first: 100) {
  nodes { id clientId provider createdAt error link } } }`;

/** Run `load` into its own section, so one refusal leaves the others standing. */
async function part(title, load) {
  const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const section = h("section", { class: "card", "aria-label": title }, h("h2", {}, title), body);
  load().then((content) => body.replaceChildren(content),
    (error) => body.replaceChildren(h("div", { class: "alert", role: "alert" }, String(error))));
  return section;
}

function health(p) {
  const cls = p.health === "CLOSED" ? "good" : p.health === "OPEN" ? "bad" : "warn";
  return h("span", { class: cls }, p.health);
}

function balance(p) {
  const b = p.balance;
  if (!b) return "—";
  if (b.error) return h("span", { class: "bad" }, `unreadable: ${b.error}`);
  return h("span", {}, money(b.balance), b.low ? h("span", { class: "bad badge", title: "below the low-balance threshold" }, " LOW FUNDS") : null);
}

function sync(p) {
  const last = p.lastSync;
  if (!last) {
    // Synced by a worker (or another instance): the ledger says when.
    if (p.syncedAt) return `synced ${age(p.syncedAt)} ago, elsewhere`;
    return h("span", { class: "warn" }, "never synced");
  }
  if (!last.ok) return h("span", { class: "bad" }, `failed: ${last.error || "unknown"}`);
  return `${last.services} services in ${last.seconds.toFixed(1)}s (+${last.added} ~${last.changed} −${last.removed})`;
}

async function providers() {
  const data = await gql(PROVIDERS);
  return table([
    ["Provider", (p) => p.name],
    ["Breaker", health],
    ["Failures", (p) => p.consecutiveFailures, true],
    ["Cooldown", (p) => (p.cooldownSeconds ? `${Math.ceil(p.cooldownSeconds)}s` : "—")],
    ["Last error", (p) => p.lastError || "—", TEXT],
    ["Balance", balance],
    ["Catalog", sync],
    ["Services", (p) => p.serviceCount, true],
  ], data.providers, "Providers");
}

/** A quality figure: its value, or a dash while its sample is too small, with the sample. */
function figure(f, percent) {
  if (!f) return "—";
  if (f.value === null) return h("span", { class: "muted" }, `— (${f.sample})`);
  const value = percent ? `${(Number(f.value) * 100).toFixed(1)}%` : Number(f.value).toFixed(0);
  return `${value} (${f.sample})`;
}

async function quality() {
  const rows = (await gql(QUALITY)).providers;
  const days = rows.find((p) => p.quality)?.quality.days;
  return h("div", {}, h("p", { class: "muted" }, `Orders finished in the last ${days ?? "?"} days; a figure shows once its sample (in brackets) is large enough.`),
    table([
      ["Provider", (p) => p.name], ["Finished", (p) => p.quality?.orders ?? "—", true],
      ["Completed", (p) => figure(p.quality?.completionRate, true), true],
      ["Delivered", (p) => figure(p.quality?.deliveredFraction, true), true],
      ["Refused", (p) => figure(p.quality?.failureRate, true), true],
      ["Start (s)", (p) => figure(p.quality?.startSeconds, false), true],
      ["Charged", (p) => figure(p.quality?.chargeFraction, true), true],
    ], rows, "Provider quality"));
}

async function byState() {
  const nodes = (await gql(ORDERS)).orders.nodes;
  const days = new Map();
  const totals = {};
  for (const o of nodes) {
    const day = o.createdAt.slice(0, 10);
    if (!days.has(day)) days.set(day, {});
    const counts = days.get(day);
    counts[o.status] = (counts[o.status] || 0) + 1;
    totals[o.status] = (totals[o.status] || 0) + 1;
  }
  const rows = [...days.entries()].sort().slice(-14).map(([label, counts]) => ({ label: label.slice(5), counts }));
  const summary = h("p", {}, Object.entries(totals).map(([state, n]) => h("span", { class: "badge" }, `${state} ${n}`)),
    h("span", { class: "muted" }, ` (the latest ${nodes.length} orders)`));
  return h("div", {}, summary, rows.length ? stackedBars(rows, "Orders by state per day (UTC)") : h("p", { class: "muted" }, "No orders yet."));
}

async function unconfirmed() {
  const nodes = (await gql(UNCONFIRMED)).orders.nodes;
  if (!nodes.length) return h("p", { class: "good" }, "None: every order's placement is known.");
  return table([
    ["Order", (o) => link(`#/order/${o.id}`, `#${o.id}`)],
    ["Age", (o) => age(o.createdAt)],
    ["Client", (o) => o.clientId],
    ["Provider", (o) => o.provider || "—"],
    ["Link", (o) => o.link || "—", TEXT],
    ["Why", (o) => o.error || "—", TEXT],
  ], nodes, "Open UNCONFIRMED orders");
}

async function webhooks() {
  const endpoints = (await rest("GET", "/v1/webhooks")).data;
  const failing = [];
  for (const e of endpoints) {
    const recent = (await rest("GET", `/v1/webhooks/${e.id}/deliveries?limit=20`)).data;
    const failed = recent.filter((d) => d.state === "failed").length;
    const retrying = recent.filter((d) => d.state === "pending" && d.attempts > 0).length;
    if (!e.enabled || failed || retrying) failing.push({ ...e, failed, retrying });
  }
  if (!endpoints.length) return h("p", { class: "muted" }, "No webhook endpoints.");
  if (!failing.length) return h("p", { class: "good" }, `All ${endpoints.length} endpoints deliver.`);
  return table([
    ["Endpoint", (e) => link("#/webhooks", `#${e.id}`)],
    ["URL", (e) => e.url, TEXT],
    ["Enabled", (e) => (e.enabled ? "yes" : h("span", { class: "bad" }, `no: ${e.disabled_reason || "disabled"}`))],
    ["Failed (last 20)", (e) => e.failed, true],
    ["Retrying", (e) => e.retrying, true],
  ], failing, "Failing webhook endpoints");
}

export async function render(view) {
  const board = await part("Providers", providers);
  const body = board.lastChild;
  // A reading that fails says so over the last one read, which may no longer be true.
  const stale = notice("alert");
  body.before(stale);
  live.every(REFRESH, () => providers().then((table) => {
    say(stale, "");
    body.replaceChildren(table);
  }, (error) => say(stale, `Not read again, the figures below may be out of date: ${error}`)));
  view.replaceChildren(h("h1", {}, "Overview"),
    board,
    await part("Open UNCONFIRMED orders", unconfirmed),
    await part("Orders by state", byState),
    await part("Provider quality", quality),
    await part("Failing webhooks", webhooks));
}
