// Catalog: every unified service with its members, searched in the page as one types; a
// service's price changes drawn over time; the latest price changes of every provider.
import { ApiError, gql } from "./api.js";
import { h, money, table, when } from "./dom.js";
import { stepLine } from "./chart.js";

const SERVICES = `query Catalog($first: Int!, $after: String) { services(first: $first, after: $after) {
  nodes { id name platform metric type refill cancel min max rate { amount currency }
    members { id provider providerServiceId name category rate { amount currency } baseRate { amount currency } min max } }
  pageInfo { hasNextPage endCursor } } }`;
const CHANGES = `query Changes($first: Int!, $after: String) { priceChanges(first: $first, after: $after) {
  nodes { id provider providerServiceId kind oldRate newRate currency at serviceId }
  pageInfo { hasNextPage endCursor } } }`;
const SHOWN = 200;
/** How many of the latest price changes the page keeps (for the charts and the list). */
const CHANGES_KEPT = 5000;

/** The first `limit` items of a feed, or with `latest` its last `limit` (the feed is read to its
 * end, as the price changes come oldest first and their newest are what the page shows). */
async function all(query, name, limit, latest = false) {
  let after = null;
  let items = [];
  let first = 500;
  while (latest || items.length < limit) {
    let page;
    try {
      page = (await gql(query, { first, after }))[name];
    } catch (error) {
      // The page's cost grows with the services' members: ask for smaller pages until it fits.
      if (!(error instanceof ApiError) || error.code !== "COST_LIMIT" || first <= 10) throw error;
      first = Math.floor(first / 2);
      continue;
    }
    items = items.concat(page.nodes);
    if (latest && items.length > limit) items = items.slice(-limit);
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  return items;
}

function detail(service, changes) {
  const mine = changes.filter((c) => c.serviceId === service.id);
  const byMember = new Map();
  for (const c of mine) {
    const name = `${c.provider} ${c.providerServiceId}`;
    if (!byMember.has(name)) byMember.set(name, []);
    if (c.newRate !== null) byMember.get(name).push({ at: new Date(c.at), value: Number(c.newRate), label: `${c.newRate} ${c.currency} (${c.kind}) ${when(c.at)}` });
  }
  return h("section", { class: "card", id: "service-detail", "aria-label": `Service ${service.id}` },
    h("h2", {}, `#${service.id} ${service.name}`),
    h("p", { class: "muted" }, `${service.platform} · ${service.metric} · ${service.type} · ${service.min}–${service.max}`,
      service.refill ? " · refill" : "", service.cancel ? " · cancel" : ""),
    table([
      ["Provider", (m) => m.provider], ["Their id", (m) => m.providerServiceId], ["Their name", (m) => m.name],
      ["Category", (m) => m.category], ["Rate", (m) => money(m.rate), true], ["Base rate", (m) => money(m.baseRate), true],
      ["Min", (m) => m.min, true], ["Max", (m) => m.max, true],
    ], service.members || [], "Members"),
    h("h2", {}, "Price over time"),
    byMember.size ? [...byMember.entries()].map(([name, points]) => h("div", {}, h("h3", {}, name), stepLine(points, `Rate of ${name}`)))
      : h("p", { class: "muted" }, "No price changes recorded for its members."));
}

export async function render(view) {
  const [services, changes] = await Promise.all([all(SERVICES, "services", 20000), all(CHANGES, "priceChanges", CHANGES_KEPT, true)]);
  // One lower-case string per service, so a keystroke filters thousands in a few milliseconds.
  const index = services.map((svc) => [svc, [svc.id, svc.name, svc.platform, svc.metric,
    ...(svc.members || []).flatMap((m) => [m.provider, m.name, m.providerServiceId])].join(" ").toLowerCase()]);
  const search = h("input", { id: "catalog-search", type: "search", placeholder: "words in a name, a provider, an id", autocomplete: "off" });
  const count = h("p", { class: "muted", role: "status" });
  const list = h("div", {});
  const chosen = h("div", {});
  const show = () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const found = index.filter(([, text]) => words.every((w) => text.includes(w))).map(([svc]) => svc);
    count.textContent = `${found.length} of ${services.length} services` + (found.length > SHOWN ? ` (the first ${SHOWN} shown)` : "");
    list.replaceChildren(table([
      ["Id", (svc) => svc.id, true],
      ["Service", (svc) => {
        const open = h("button", { type: "button", class: "secondary", "data-service": svc.id }, svc.name);
        open.addEventListener("click", () => {
          chosen.replaceChildren(detail(svc, changes));
          chosen.scrollIntoView();
        });
        return open;
      }],
      ["Platform", (svc) => svc.platform], ["Metric", (svc) => svc.metric],
      ["Providers", (svc) => [...new Set((svc.members || []).map((m) => m.provider))].join(", ")],
      ["Cheapest", (svc) => money(svc.rate), true],
    ], found.slice(0, SHOWN), "Services"));
  };
  search.addEventListener("input", show);
  const latest = changes.slice(-100).reverse();
  view.replaceChildren(h("h1", {}, "Catalog"),
    h("section", { class: "card" }, h("label", { for: "catalog-search" }, "Search", search), count, list),
    chosen,
    h("section", { class: "card", "aria-label": "Price changes" }, h("h2", {}, "Latest price changes"),
      table([
        ["When", (c) => when(c.at)], ["Provider", (c) => c.provider], ["Their id", (c) => c.providerServiceId],
        ["Service", (c) => c.serviceId ?? "—", true], ["Change", (c) => c.kind],
        ["Old", (c) => c.oldRate ?? "—", true], ["New", (c) => c.newRate ?? "—", true], ["Currency", (c) => c.currency],
      ], latest, "Price changes")));
  show();
}
