// Live order changes over the GraphQL WebSocket (graphql-transport-ws): the key travels in
// connection_init, as a browser cannot set headers on a WebSocket.
import { key, paths } from "./api.js";

let socket = null;
let listeners = [];
let retry = null;
let timers = [];

/** Call `listener(update)` for every order change until the page changes. */
export function listen(listener) {
  listeners.push(listener);
}

/** Call `refresh()` every `ms` milliseconds until the page changes (for what has no events). */
export function every(ms, refresh) {
  timers.push(setInterval(refresh, ms));
}

/** Forget the listeners and timers of the page left. */
export function clear() {
  listeners = [];
  for (const timer of timers) clearInterval(timer);
  timers = [];
}

export function start() {
  if (socket) return;
  const url = new URL(paths.graphql, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  socket = new WebSocket(url, "graphql-transport-ws");
  socket.addEventListener("open", () => {
    socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${key.get()}` } }));
  });
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "connection_ack") {
      socket.send(JSON.stringify({
        id: "orders", type: "subscribe",
        payload: { query: "subscription { orderUpdated { event at order { id status statusRaw remains startCount provider updatedAt } } }" },
      }));
    } else if (message.type === "ping") {
      socket.send(JSON.stringify({ type: "pong" }));
    } else if (message.type === "next" && message.payload && message.payload.data) {
      for (const listener of listeners) listener(message.payload.data.orderUpdated);
    }
  });
  socket.addEventListener("close", () => {
    socket = null;
    if (key.get()) retry = setTimeout(start, 5000);
  });
}

export function stop() {
  clearTimeout(retry);
  if (socket) {
    const closing = socket;
    socket = null;
    closing.close();
  }
}
