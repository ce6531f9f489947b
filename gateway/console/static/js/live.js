// Live order changes over the GraphQL WebSocket (graphql-transport-ws): the key travels in
// connection_init, as a browser cannot set headers on a WebSocket.
import { key, paths } from "./api.js";

let socket = null;
let listeners = [];
let resumers = [];
let retry = null;
let timers = [];
let refused = () => {};
/** The close code of a connection whose key the gateway refuses (revoked, expired). */
const FORBIDDEN = 4403;
/** Whether a connection was acknowledged since sign-in: the next one is a reconnection. */
let connected = false;

/** Call `listener(update)` for every order change until the page changes. */
export function listen(listener) {
  listeners.push(listener);
}

/** Call `handler()` when the gateway closes the connection as its key is refused; the
 * connection is not tried again until `start()`. */
export function onRefused(handler) {
  refused = handler;
}

/** Call `resume()` when the connection comes back after a break (the gateway restarted, the
 * network dropped): changes made meanwhile sent no event, so a page reads its data again. */
export function onResume(resume) {
  resumers.push(resume);
}

/** Call `refresh()` every `ms` milliseconds until the page changes (for what has no events). */
export function every(ms, refresh) {
  timers.push(setInterval(refresh, ms));
}

/** Forget the listeners and timers of the page left. */
export function clear() {
  listeners = [];
  resumers = [];
  for (const timer of timers) clearInterval(timer);
  timers = [];
}

export function start() {
  if (socket) return;
  const url = new URL(paths.graphql, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const mine = new WebSocket(url, "graphql-transport-ws");
  socket = mine;
  mine.addEventListener("open", () => {
    mine.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${key.get()}` } }));
  });
  mine.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "connection_ack") {
      mine.send(JSON.stringify({
        id: "orders", type: "subscribe",
        payload: { query: "subscription { orderUpdated { event at order { id status statusRaw remains startCount provider updatedAt } } }" },
      }));
      if (connected) for (const resume of resumers) resume();
      connected = true;
    } else if (message.type === "ping") {
      mine.send(JSON.stringify({ type: "pong" }));
    } else if (message.type === "next" && message.payload && message.payload.data) {
      for (const listener of listeners) listener(message.payload.data.orderUpdated);
    }
  });
  mine.addEventListener("close", (event) => {
    // A socket closed by stop() may finish closing after the next sign-in opened another.
    if (socket !== mine) return;
    socket = null;
    if (event.code === FORBIDDEN) refused();
    else if (key.get()) retry = setTimeout(start, 5000);
  });
}

export function stop() {
  clearTimeout(retry);
  connected = false;
  if (socket) {
    const closing = socket;
    socket = null;
    closing.close();
  }
}
