// The gateway's event stream (GET /api/v2/events/stream, Server-Sent Events) for the consoles,
// so a page follows orders and KYC decisions as they happen instead of polling.
//
// EventSource cannot send the API-key headers, so this reads the stream with fetch and parses
// the frames itself. It starts at "now" (start=latest), and when the connection drops it
// reconnects with Last-Event-ID, so no event between the two connections is missed.

import { parseExactJSON, savedKey } from "./api.js";

const RECONNECT_MS = [1000, 2000, 5000, 10000];

/**
 * Calls `onEvent(event)` for each event of `types` (null = all) until `stop()` is called.
 * `onState("live" | "reconnecting" | "signed_out")` reports the connection.
 */
export function subscribe(role, { types = null, onEvent, onState = () => {} }) {
  const controller = new AbortController();
  let lastEventId = null;
  let failures = 0;

  const connect = async () => {
    while (!controller.signal.aborted) {
      const key = savedKey(role);
      if (!key) {
        onState("signed_out");
        return;
      }
      const headers = { Accept: "text/event-stream", "X-API-Key-Id": key.id, "X-API-Secret-Key": key.secret };
      if (lastEventId) headers["Last-Event-ID"] = lastEventId;
      const query = new URLSearchParams({ start: "latest" });
      if (types) query.set("types", types.join(","));
      try {
        const response = await fetch(`/api/v2/events/stream?${query}`, { headers, cache: "no-store", credentials: "omit", signal: controller.signal });
        if (response.status === 401) {
          onState("signed_out");
          return;
        }
        if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
        failures = 0;
        onState("live");
        await readFrames(response.body, (frame) => {
          if (!frame.id || !frame.data) return;
          lastEventId = frame.id;
          onEvent(parseExactJSON(frame.data));
        });
      } catch (failure) {
        if (controller.signal.aborted) return;
      }
      onState("reconnecting");
      const wait = RECONNECT_MS[Math.min(failures, RECONNECT_MS.length - 1)];
      failures += 1;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  };
  connect();
  return { stop: () => controller.abort() };
}

/** Splits a text/event-stream body into frames ({ id, event, data }), calling `onFrame` for each. */
async function readFrames(body, onFrame) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const frame = {};
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const name = colon < 0 ? line : line.slice(0, colon);
        const field = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        frame[name] = name === "data" && frame.data !== undefined ? `${frame.data}\n${field}` : field;
      }
      onFrame(frame);
    }
  }
}
