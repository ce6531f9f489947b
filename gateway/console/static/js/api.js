// The console's only way to the gateway: GraphQL and /v1 on this origin, with the key from
// sessionStorage in the Authorization header (never in a URL).

const meta = (name) => document.querySelector(`meta[name="${name}"]`).content;
export const paths = { root: meta("smm-root"), graphql: meta("smm-graphql") };

const SLOT = "smm-console-key";

/** The operator key of this browser tab's session. */
export const key = {
  get: () => sessionStorage.getItem(SLOT),
  set: (value) => sessionStorage.setItem(SLOT, value),
  clear: () => sessionStorage.removeItem(SLOT),
};

/** A refusal or failure, with the API's own message and code. */
export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
  toString() {
    return this.code ? `${this.message} (${this.code})` : this.message;
  }
}

/** `fetch`, with a request that got no answer (the gateway down, the network gone) as an
 * ApiError the pages show like any refusal, not a TypeError nobody catches. */
async function send(url, init) {
  try {
    return await fetch(url, init);
  } catch {
    throw new ApiError("the gateway could not be reached", "NETWORK");
  }
}

function headers(json) {
  const sent = { Authorization: `Bearer ${key.get() || ""}` };
  if (json) sent["Content-Type"] = "application/json";
  return sent;
}

/** The `data` of a GraphQL operation; any error is thrown as an ApiError. */
export async function gql(query, variables = {}) {
  const response = await send(paths.graphql, {
    method: "POST", headers: headers(true), body: JSON.stringify({ query, variables }),
    credentials: "omit", cache: "no-store",
  });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`the gateway answered HTTP ${response.status}`, "HTTP");
  }
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    throw new ApiError(first.message, (first.extensions || {}).code || "ERROR");
  }
  if (!response.ok || !body.data) throw new ApiError(`the gateway answered HTTP ${response.status}`, "HTTP");
  return body.data;
}

/** A /v1 call: the JSON answer, or an ApiError with the API's `{"error": ...}`. */
export async function rest(method, path, payload) {
  const response = await send(paths.root + path, {
    method, headers: headers(payload !== undefined),
    body: payload === undefined ? undefined : JSON.stringify(payload),
    credentials: "omit", cache: "no-store",
  });
  if (response.status === 204) return null;
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const error = (body && body.error) || {};
    throw new ApiError(error.message || `the gateway answered HTTP ${response.status}`, error.code || "HTTP");
  }
  return body;
}

/** A UserError payload (typed refusal) as a sentence, or null for a success. */
export function refusal(payload) {
  if (payload && typeof payload.message === "string" && payload.code) return `${payload.message} (${payload.code})`;
  return null;
}
