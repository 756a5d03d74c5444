// The market's state as the gateway's business clock sees it (GET market_hours, public).
// The sandbox can move business time far from the wall clock, so every countdown runs from
// the server's `now_dt`, advanced by the browser's monotonic clock since it was read.

import { api } from "./api.js";
import { formatCountdown, formatET, formatTimeET, h, fill } from "./dom.js";

export const MARKET_HOURS = "/api/v2/market_data/market_hours/";

const SESSION_LABELS = {
  REGULAR: "Regular session",
  PRE_MARKET: "Pre-market",
  AFTER_HOURS: "After-hours",
  OVERNIGHT: "Overnight",
  CLOSED: "Closed",
};

/** Reads market hours and stamps when, so `businessNow` can run on from there. */
export async function readMarket() {
  const hours = await api("GET", MARKET_HOURS);
  return { hours, readAt: performance.now() };
}

export function businessNow(market) {
  return Date.parse(market.hours.now_dt) + (performance.now() - market.readAt);
}

/** What the ticket and the clock say about now. */
export function describe(market) {
  const { hours } = market;
  const now = businessNow(market);
  const session = hours.session;
  const nextOpen = hours.next_regular_open_dt;
  const marketOrdersAllowed = session === "REGULAR" && now < Date.parse(hours.current_session_close_dt);
  const limitRoutes = session !== "CLOSED";
  let headline;
  if (session === "REGULAR") headline = `Market open — closes ${formatTimeET(hours.current_session_close_dt)}`;
  else if (session === "CLOSED") headline = `Market closed — next open ${formatET(nextOpen)}`;
  else headline = `${SESSION_LABELS[session]} — limit orders only; regular session opens ${formatET(nextOpen)}`;
  let ticketNote;
  if (marketOrdersAllowed) ticketNote = null;
  else if (session === "CLOSED") ticketNote = `Market closed — limit orders only; next open ${formatET(nextOpen)}. Limit orders wait for the next session.`;
  else ticketNote = `${SESSION_LABELS[session]} — limit orders only; next open ${formatET(nextOpen)}.`;
  return {
    now,
    session,
    label: SESSION_LABELS[session] ?? session,
    isOpen: hours.is_market_open === true,
    marketOrdersAllowed,
    limitRoutes,
    nextOpen,
    untilNextOpenMs: Date.parse(nextOpen) - now,
    headline,
    ticketNote,
  };
}

/**
 * Renders a live clock into `container`: open/closed, the session, the business time and
 * the countdown to the next open, ticking every second and re-reading the server every
 * minute (and whenever a countdown runs out, as the session changes then).
 */
export function mountMarketClock(container, { onChange } = {}) {
  let market = null;
  let failure = null;
  let lastSession = null;

  const render = () => {
    if (failure) {
      fill(container, h("p", { class: "alert error", role: "alert", text: `Market hours unavailable: ${failure.message}` }));
      return;
    }
    if (!market) return;
    const state = describe(market);
    const rows = [
      ["Now (business clock)", formatET(state.now)],
      ["Session", state.label],
    ];
    if (state.session === "REGULAR") rows.push(["Closes", formatET(market.hours.current_session_close_dt)]);
    rows.push(["Next open", formatET(state.nextOpen)]);
    fill(
      container,
      h(
        "div",
        { class: "clock-head" },
        h("span", { class: `status-dot ${state.isOpen ? "open" : "closed"}`, "aria-hidden": "true" }),
        h("strong", { class: "clock-state", "data-testid": "market-state", text: state.isOpen ? "Market open" : "Market closed" }),
        h("span", { class: "pill info", "data-testid": "market-session", text: state.label }),
      ),
      h("dl", { class: "facts" }, rows.map(([term, value]) => [h("dt", { text: term }), h("dd", { text: value })])),
      state.session === "REGULAR"
        ? h("p", { class: "countdown" }, "Closes in ", h("strong", { "data-testid": "countdown", text: formatCountdown(Date.parse(market.hours.current_session_close_dt) - state.now) }))
        : h("p", { class: "countdown" }, "Opens in ", h("strong", { "data-testid": "countdown", text: formatCountdown(state.untilNextOpenMs) })),
    );
    if (state.session !== lastSession) {
      lastSession = state.session;
      onChange?.(market, state);
    }
  };

  let reading = false;
  const refresh = async () => {
    if (reading) return;
    reading = true;
    try {
      market = await readMarket();
      failure = null;
    } catch (error) {
      failure = error;
    } finally {
      reading = false;
    }
    render();
  };

  refresh();
  const tick = setInterval(() => {
    const state = market && describe(market);
    const closing = state?.session === "REGULAR" && state.now >= Date.parse(market.hours.current_session_close_dt);
    if (state && (state.untilNextOpenMs <= 0 || closing)) refresh();
    else render();
  }, 1000);
  const reread = setInterval(refresh, 60_000);
  return {
    refresh,
    current: () => market,
    stop: () => {
      clearInterval(tick);
      clearInterval(reread);
    },
  };
}
