// Small DOM helpers. Text always goes in as textContent (never parsed as markup), so a customer's
// name or a server message can never become markup; listeners are attached in code, as the
// Content-Security-Policy forbids inline handlers.

export const $ = (id) => document.getElementById(id);

/** h("button", { class: "primary", type: "submit", on: { click } }, "Buy") */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  return assemble(element, attributes, children);
}

const SVG_NS = "http://www.w3.org/2000/svg";
export function svg(tag, attributes = {}, ...children) {
  return assemble(document.createElementNS(SVG_NS, tag), attributes, children);
}

function assemble(element, attributes, children) {
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "on") {
      for (const [event, handler] of Object.entries(value)) element.addEventListener(event, handler);
    } else if (name === "text") {
      element.textContent = value;
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Replaces a container's content. */
export function fill(container, ...children) {
  container.replaceChildren();
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined && child !== false) container.append(child instanceof Node ? child : String(child));
  }
  return container;
}

/** The server's message (and request id, to quote to support) in an alert box. */
export function errorBox(error, what) {
  const message = error?.message || String(error);
  return h(
    "div",
    { class: "alert error", role: "alert" },
    h("strong", { text: what ? `${what}: ` : "" }),
    message,
    error?.requestId ? h("span", { class: "request-id", text: ` (request ${error.requestId})` }) : null,
  );
}

export function notice(kind, ...children) {
  return h("div", { class: `alert ${kind}`, role: kind === "error" ? "alert" : "status" }, ...children);
}

/** Disables the button while `work` runs; shows its error in `errorSlot` if it fails. */
export async function busy(button, work, errorSlot, what) {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  if (errorSlot) errorSlot.replaceChildren();
  try {
    return await work();
  } catch (error) {
    if (errorSlot) errorSlot.replaceChildren(errorBox(error, what));
    else throw error;
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = label;
  }
}

// --- time ----------------------------------------------------------------------------------

const NEW_YORK = "America/New_York";
const etFormat = new Intl.DateTimeFormat("en-GB", {
  timeZone: NEW_YORK, weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});
const etTimeFormat = new Intl.DateTimeFormat("en-GB", { timeZone: NEW_YORK, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
const etSecondsFormat = new Intl.DateTimeFormat("en-GB", {
  timeZone: NEW_YORK, weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
});
const whenFormat = new Intl.DateTimeFormat("en-GB", {
  timeZone: NEW_YORK, day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});

/** "Mon 30 Nov 09:30 ET": how the market names its hours. */
export function formatET(instant) {
  const parts = Object.fromEntries(etFormat.formatToParts(new Date(instant)).map((part) => [part.type, part.value]));
  return `${parts.weekday} ${parts.day} ${parts.month} ${parts.hour}:${parts.minute} ET`;
}

export const formatTimeET = (instant) => `${etTimeFormat.format(new Date(instant))} ET`;
export const formatFullET = (instant) => `${etSecondsFormat.format(new Date(instant))} ET`;
/** "1 Dec 2026, 10:00 ET": timestamps in the market's time zone, as the sessions are. */
export const formatWhen = (instant) => `${whenFormat.format(new Date(instant))} ET`;

/** "2 d 3 h 04 min", "3 h 04 min 09 s", "04 min 09 s". */
export function formatCountdown(milliseconds) {
  let seconds = Math.max(0, Math.floor(milliseconds / 1000));
  const days = Math.floor(seconds / 86400);
  seconds -= days * 86400;
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  const pad = (n) => String(n).padStart(2, "0");
  if (days > 0) return `${days} d ${hours} h ${pad(minutes)} min`;
  if (hours > 0) return `${hours} h ${pad(minutes)} min ${pad(seconds)} s`;
  return `${pad(minutes)} min ${pad(seconds)} s`;
}

/** The first 8 characters of an id, with the whole id as a tooltip. */
export function shortId(id) {
  return h("code", { class: "id", title: id, text: String(id).slice(0, 8) });
}

/** A table; on narrow screens each row becomes a card whose cells carry their column name. */
export function table(headers, rows, { caption, empty = "Nothing yet." } = {}) {
  if (rows.length === 0) return h("p", { class: "empty", text: empty });
  const labels = headers.map((header) => header.label ?? header);
  for (const row of rows) {
    [...row.children].forEach((cellElement, index) => {
      if (labels[index] && !cellElement.hasAttribute("data-label")) cellElement.setAttribute("data-label", labels[index]);
    });
  }
  return h(
    "div",
    { class: "table-wrap stackable" },
    h(
      "table",
      {},
      caption ? h("caption", { text: caption }) : null,
      h("thead", {}, h("tr", {}, headers.map((header) => h("th", { scope: "col", class: [header.numeric ? "num" : "", header.hideNarrow ? "hide-narrow" : ""].join(" ").trim() || null, text: header.label ?? header })))),
      h("tbody", {}, rows),
    ),
  );
}

export function cell(content, { numeric = false, label } = {}) {
  return h("td", { class: numeric ? "num" : null, "data-label": label }, content);
}

/** A status word in a coloured pill. */
export function pill(status) {
  const tone = {
    PASS: "good", ACTIVE: "good", FILLED: "good", OK: "good", COMPLETE: "good", SUBMITTED: "info", REGULAR: "good",
    FAIL: "bad", REJECTED: "bad", ERROR: "bad", BREAK: "bad", CANCELLED: "muted", EXPIRED: "muted", CLOSED: "muted", REVOKED: "muted",
    NEEDS_REVIEW: "warn", INCOMPLETE: "warn", PENDING: "warn", PENDING_SUBMIT: "warn", PARTIALLY_FILLED: "info",
  }[status] ?? "info";
  return h("span", { class: `pill ${tone}`, text: String(status).replaceAll("_", " ") });
}
