// Webhooks (/v1/webhooks, admin keys): endpoints, their deliveries, redeliver, enable or
// disable, rotate the signing secret (shown once).
import { rest } from "./api.js";
import { h, notice, say, table, TEXT, when } from "./dom.js";

function button(label, run, status, alert, secondary = true) {
  const b = h("button", { type: "button", class: secondary ? "secondary" : null }, label);
  b.addEventListener("click", async () => {
    b.disabled = true;
    say(status, "");
    say(alert, "");
    try {
      await run();
    } catch (error) {
      say(alert, String(error));
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

async function deliveries(endpoint, into, status, alert) {
  const rows = (await rest("GET", `/v1/webhooks/${endpoint.id}/deliveries?limit=50`)).data;
  into.replaceChildren(h("h2", {}, `Deliveries to endpoint #${endpoint.id}`), rows.length ? table([
    ["Delivery", (d) => `#${d.id}`], ["Event", (d) => d.event_id],
    ["State", (d) => h("span", { class: d.state === "failed" ? "bad" : d.state === "delivered" ? "good" : "warn" }, d.state)],
    ["Attempts", (d) => d.attempts, true], ["HTTP", (d) => d.status_code ?? "—", true], ["Error", (d) => d.error || "—", TEXT],
    ["Next attempt", (d) => when(d.next_attempt_at)], ["Delivered", (d) => when(d.delivered_at)],
    ["", (d) => button("Redeliver", async () => {
      const again = await rest("POST", `/v1/webhooks/${endpoint.id}/deliveries/${d.id}/redeliver`);
      say(status, `Delivery #${again.id} queued.`);
      await deliveries(endpoint, into, status, alert);
    }, status, alert)],
  ], rows, "Deliveries") : h("p", { class: "muted" }, "No deliveries yet."));
}

export async function render(view) {
  const status = notice("status");
  const alert = notice("alert");
  const list = h("div", {});
  const secret = h("div", {});
  const chosen = h("div", {});
  const reload = async () => {
    const endpoints = (await rest("GET", "/v1/webhooks")).data;
    list.replaceChildren(endpoints.length ? table([
      ["Endpoint", (e) => `#${e.id}`], ["URL", (e) => e.url, TEXT], ["Description", (e) => e.description || "—", TEXT],
      ["Events", (e) => e.event_types.join(", ")],
      ["Enabled", (e) => (e.enabled ? h("span", { class: "good" }, "yes") : h("span", { class: "bad" }, `no${e.disabled_reason ? `: ${e.disabled_reason}` : ""}`))],
      ["Actions", (e) => h("div", { class: "inline" },
        button("Deliveries", () => deliveries(e, chosen, status, alert), status, alert),
        button(e.enabled ? "Disable" : "Enable", async () => {
          await rest("POST", `/v1/webhooks/${e.id}/${e.enabled ? "disable" : "enable"}`);
          say(status, `Endpoint #${e.id} ${e.enabled ? "disabled" : "enabled"}.`);
          await reload();
        }, status, alert),
        button("Rotate secret", async () => {
          const rotated = await rest("POST", `/v1/webhooks/${e.id}/rotate-secret`);
          secret.replaceChildren(h("section", { class: "card" }, h("h2", {}, `New secret of endpoint #${e.id}`),
            h("p", { class: "muted" }, "Shown this once: give it to the receiver now."),
            h("p", { class: "secret", id: "new-secret" }, rotated.secret)));
          say(status, `Secret of endpoint #${e.id} rotated.`);
        }, status, alert))],
    ], endpoints, "Webhook endpoints") : h("p", { class: "muted" }, "No webhook endpoints. Create them with `smm-gateway webhooks` or POST /v1/webhooks."));
  };
  view.replaceChildren(h("h1", {}, "Webhooks"), status, alert, secret, h("section", { class: "card" }, list), chosen);
  await reload();
}
