// Hand-drawn SVG charts: stacked bars (orders by state per day) and a step line (a price).
import { h, s } from "./dom.js";

export const COLORS = {
  RECEIVED: "#8c959f", UNCONFIRMED: "#bf8700", FAILED: "#cf222e", PENDING: "#54aeff",
  IN_PROGRESS: "#0969da", COMPLETED: "#1a7f37", PARTIAL: "#8250df", CANCELED: "#6e7781",
  REFUNDED: "#953800", PAUSED: "#d4a72c", EXPIRED: "#57606a", UNKNOWN: "#24292f",
};

/** Bars per label (`rows` = [{label, counts: {state: n}}]), stacked by state. */
export function stackedBars(rows, title) {
  const width = 640, height = 220, pad = 28;
  const top = Math.max(1, ...rows.map((r) => Object.values(r.counts).reduce((a, b) => a + b, 0)));
  const step = (width - pad * 2) / Math.max(1, rows.length);
  const chart = s("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title },
    s("title", {}, title),
    s("line", { x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, stroke: "#d9dde4" }),
    s("text", { x: 2, y: pad }, String(top)));
  rows.forEach((row, i) => {
    let y = height - pad;
    for (const [state, count] of Object.entries(row.counts)) {
      const tall = ((height - pad * 2) * count) / top;
      y -= tall;
      chart.append(s("rect", { x: pad + i * step + 2, y, width: Math.max(2, Math.min(48, step - 4)), height: tall, fill: COLORS[state] || "#000" },
        s("title", {}, `${row.label}: ${count} ${state}`)));
    }
    chart.append(s("text", { x: pad + i * step + 2, y: height - 10 }, row.label));
  });
  const states = [...new Set(rows.flatMap((r) => Object.keys(r.counts)))];
  const legend = h("div", { class: "legend" }, states.map((state) => {
    const swatch = h("span", { class: "swatch" });
    swatch.style.background = COLORS[state] || "#000";
    return h("span", {}, swatch, state);
  }));
  return h("figure", {}, chart, legend);
}

/** A step line of `points` = [{at: Date, value: Number, label}] over time. */
export function stepLine(points, title) {
  const width = 640, height = 200, pad = 36;
  if (!points.length) return h("p", { class: "muted" }, "No price changes recorded.");
  const times = points.map((p) => p.at.getTime());
  const values = points.map((p) => p.value);
  const t0 = Math.min(...times), t1 = Math.max(...times, t0 + 1);
  const v0 = Math.min(...values) * 0.95, v1 = Math.max(...values, v0 + 0.0001) * 1.05;
  const x = (t) => pad + ((width - pad * 2) * (t - t0)) / (t1 - t0);
  const y = (v) => height - pad - ((height - pad * 2) * (v - v0)) / (v1 - v0);
  let path = "";
  points.forEach((p, i) => {
    path += i === 0 ? `M${x(times[i])},${y(p.value)}` : `H${x(times[i])}V${y(p.value)}`;
  });
  path += `H${width - pad}`;
  const chart = s("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title },
    s("title", {}, title),
    s("path", { d: path, fill: "none", stroke: "#2456c7", "stroke-width": 2 }),
    s("text", { x: 2, y: y(Math.max(...values)) }, String(Math.max(...values))),
    s("text", { x: 2, y: y(Math.min(...values)) + 10 }, String(Math.min(...values))));
  points.forEach((p, i) => chart.append(s("circle", { cx: x(times[i]), cy: y(p.value), r: 3, fill: "#2456c7" }, s("title", {}, p.label))));
  return h("figure", {}, chart);
}
