// Building the page: every piece of data goes in as text (textContent / text nodes), never as
// markup, so a name or link holding "<script>" shows as those characters.

const SVG = "http://www.w3.org/2000/svg";

function fill(el, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** An HTML element: h("td", {class: "num"}, "12"). */
export function h(tag, attrs = {}, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** An SVG element, for the hand-drawn charts. */
export function s(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(SVG, tag), attrs, children);
}

/** A table: `columns` are [heading, cell(row), kind]: kind true for a number (right-aligned),
 * TEXT for free text that may break anywhere (links, errors, URLs); other cells wrap only
 * between words, and a table too wide for the screen scrolls in its box. */
export function table(columns, rows, label) {
  const kind = (k) => (k === true ? "num" : k || null);
  const head = h("tr", {}, columns.map(([title, , k]) => h("th", { scope: "col", class: kind(k) }, title)));
  const body = rows.map((row) => h("tr", {}, columns.map(([, cell, k]) => h("td", { class: kind(k) }, cell(row)))));
  return h("div", { class: "scroll" }, h("table", { "aria-label": label }, h("thead", {}, head), h("tbody", {}, body)));
}

/** The kind of a table column of free text (see `table`). */
export const TEXT = "text";

/** "12.50 USD" (kept on one line), or a dash. */
export function money(m) {
  return m ? h("span", { class: "money" }, `${m.amount} ${m.currency}`) : "—";
}

/** A timestamp as the reader's local date and time. */
export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "—";
}

/** A timestamp's day on the reader's clock, as a date input gives it: "2026-12-04". */
export function localDay(iso) {
  const d = new Date(iso);
  const two = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}

/** How long ago `iso` was: "3m", "2h 5m", "4d 1h". */
export function age(iso, now = Date.now()) {
  let seconds = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  const days = Math.floor(seconds / 86400);
  seconds -= days * 86400;
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds - hours * 3600) / 60);
  if (days) return `${days}d ${hours}h`;
  if (hours) return `${hours}h ${minutes}m`;
  return minutes ? `${minutes}m` : `${seconds}s`;
}

/** A live region for outcomes ("status") and refusals ("alert"). */
export function notice(kind) {
  return h("div", { class: kind, role: kind, "aria-live": "polite" });
}

/** Show what the API said (or the error it refused with) in `region`. */
export function say(region, text) {
  region.textContent = text;
}

/** A link inside the console. */
export function link(hash, text) {
  return h("a", { href: hash }, text);
}
