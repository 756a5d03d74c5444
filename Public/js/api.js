// Talking to the gateway: keys, exact JSON, idempotency keys and the error shape.
//
// API keys live in sessionStorage only (this tab, until it closes or the person signs out):
// never in a URL, a cookie, localStorage or a log line. They travel as the
// X-API-Key-Id / X-API-Secret-Key headers, same-origin only (CSP connect-src 'self').

const KEY_STORAGE = { partner: "brokergate.key.partner", operator: "brokergate.key.operator" };

export function savedKey(role) {
  try {
    const stored = JSON.parse(sessionStorage.getItem(KEY_STORAGE[role]) ?? "null");
    return stored && typeof stored.id === "string" && typeof stored.secret === "string" ? stored : null;
  } catch {
    return null;
  }
}

export function saveKey(role, key) {
  sessionStorage.setItem(KEY_STORAGE[role], JSON.stringify({ id: key.id, secret: key.secret, name: key.name ?? "" }));
}

export function forgetKey(role) {
  sessionStorage.removeItem(KEY_STORAGE[role]);
}

/** An error answer, carrying the server's `error.code`, `error.message` and request id. */
export class ApiError extends Error {
  constructor(status, code, message, requestId) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }
}

// --- exact JSON ---------------------------------------------------------------------------

// JSON.parse turns 0.1 into a binary float. Every number is kept as its source text instead
// (decimal.js reads it exactly); counts and timestamps are converted with Number() where used.
const SOURCE_TEXT_SUPPORTED = (() => {
  let supported = false;
  JSON.parse("1.10", (key, value, context) => {
    supported = context?.source === "1.10";
    return value;
  });
  return supported;
})();

/** Quotes every number token outside strings, for browsers without JSON.parse source text. */
function quoteNumbers(text) {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (inString) {
      out += char;
      if (char === "\\") out += text[++i];
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
      out += char;
    } else if (char === "-" || (char >= "0" && char <= "9")) {
      const match = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
      out += `"${match[0]}"`;
      i += match[0].length - 1;
    } else {
      out += char;
    }
  }
  return out;
}

export function parseExactJSON(text) {
  if (SOURCE_TEXT_SUPPORTED) {
    return JSON.parse(text, (key, value, context) => (typeof value === "number" ? context.source : value));
  }
  return JSON.parse(quoteNumbers(text));
}

// --- requests -----------------------------------------------------------------------------

/** A random UUID v4; crypto.randomUUID needs a secure context, getRandomValues does not. */
export function uuid() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Calls the API. `options.key` is a role ("partner", "operator"), a { id, secret } pair, or
 * absent for public routes. `options.json` is sent as JSON (amounts as decimal strings, which the
 * API reads exactly: AmountInput);
 * `options.form` as multipart. Every POST gets a fresh Idempotency-Key, so a retry the
 * browser makes by itself cannot double an order. Resolves to the parsed body (null for an
 * empty one); rejects with ApiError carrying the server's message.
 */
export async function api(method, path, options = {}) {
  const headers = { Accept: "application/json" };
  const key = typeof options.key === "string" ? savedKey(options.key) : options.key;
  if (options.key && !key) throw new ApiError(401, "signed_out", "You are signed out; sign in with an API key.", "");
  if (key) {
    headers["X-API-Key-Id"] = key.id;
    headers["X-API-Secret-Key"] = key.secret;
  }
  let body;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = typeof options.json === "string" ? options.json : JSON.stringify(options.json);
  } else if (options.form) {
    body = options.form;
  }
  if (method === "POST") headers["Idempotency-Key"] = options.idempotencyKey ?? uuid();
  let response;
  try {
    response = await fetch(path, { method, headers, body, cache: "no-store", credentials: "omit", signal: options.signal });
  } catch (failure) {
    if (failure.name === "AbortError") throw failure;
    throw new ApiError(0, "unreachable", `Could not reach the gateway (${failure.message}). Check that it is running and try again.`, "");
  }
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text === "" ? null : parseExactJSON(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const error = parsed?.error;
    const requestId = error?.request_id ?? response.headers.get("X-Request-Id") ?? "";
    const message = error?.message ?? `The gateway answered ${response.status} ${response.statusText} without a JSON error.`;
    throw new ApiError(response.status, error?.code ?? `http_${response.status}`, message, requestId);
  }
  if (parsed === undefined) throw new ApiError(response.status, "not_json", "The gateway's answer was not JSON.", response.headers.get("X-Request-Id") ?? "");
  return parsed;
}
