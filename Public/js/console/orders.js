// The account's orders and fills, live: the page follows the gateway's event stream
// (order requests accepted for this account, its orders' status changes and fills) and
// reads the tables again when one of them moves. No polling; the stream reconnects by itself.

import { api } from "../api.js";
import { div, formatPrice, formatShares, formatUSDPlus, isZero } from "../decimal.js";
import { busy, cell, errorBox, fill, formatWhen, h, pill, table } from "../dom.js";
import { subscribe } from "../events.js";

const KEY = { key: "partner" };
const TERMINAL = new Set(["FILLED", "CANCELLED", "REJECTED", "ERROR"]);
const ROWS = 20;
const ORDER_EVENTS = [
  "order_request.accepted", "order_request.rejected", "order.submitted", "order.partially_filled", "order.filled",
  "order.cancelled", "order.expired", "order.rejected", "order.error", "order_fulfillment.created",
];

function orderRow(order, stocks, onCancel) {
  const symbol = stocks.byId.get(order.stock_id)?.symbol ?? order.stock_id.slice(0, 8);
  const quantity = order.asset_token_quantity === null || order.asset_token_quantity === undefined ? "—" : formatShares(order.asset_token_quantity);
  const payment = order.payment_token_quantity === null || order.payment_token_quantity === undefined ? "—" : formatUSDPlus(order.payment_token_quantity);
  const kind = `${order.order_side} ${order.order_type}${order.limit_price ? ` @ ${formatPrice(order.limit_price)}` : ""}`;
  let action = null;
  if (!TERMINAL.has(order.status)) {
    action = h("button", { type: "button", class: "small danger", text: "Cancel" });
    action.addEventListener("click", () => onCancel(order, action));
  }
  return h("tr", { "data-testid": "order", "data-status": order.status, "data-order-id": order.id },
    cell(formatWhen(order.created_dt)),
    cell(h("span", {}, h("strong", { text: symbol }), h("span", { class: "sub", text: `${kind} · ${order.order_tif}` }))),
    cell(quantity, { numeric: true }),
    cell(payment, { numeric: true }),
    cell(order.fee === null || order.fee === undefined ? "—" : formatUSDPlus(order.fee), { numeric: true }),
    h("td", { "data-testid": "order-status" }, pill(order.status)),
    cell(action));
}

function fillRow(fill, stocks) {
  const symbol = stocks.byId.get(fill.stock_id)?.symbol ?? "—";
  const buy = !isZero(fill.asset_token_filled);
  const tokens = buy ? fill.asset_token_filled : fill.asset_token_spent;
  const money = buy ? fill.payment_token_spent : fill.payment_token_filled;
  // USD+ per token, to the cent: the broker's price (quantities are rounded in the
  // customer's favour at 6 decimals, which moves the exact quotient by less than a cent).
  const price = isZero(tokens) ? "—" : formatPrice(div(money, tokens, 2, "ceil"));
  return h("tr", { "data-testid": "fulfillment" },
    cell(formatWhen(fill.transaction_dt)),
    cell(`${buy ? "Bought" : "Sold"} ${symbol}`),
    cell(formatShares(tokens), { numeric: true }),
    cell(price, { numeric: true }),
    cell(formatUSDPlus(money), { numeric: true }),
    cell(fill.payment_token_fee === null ? "—" : formatUSDPlus(fill.payment_token_fee), { numeric: true }));
}

export function mountOrders(accountId, stocks, { onSettled }) {
  const ordersSlot = h("div", { "aria-live": "polite" });
  const fillsSlot = h("div");
  const cancelError = h("div");
  const status = h("p", { class: "hint", "aria-live": "off", "data-testid": "orders-live" });
  const refresh = h("button", { type: "button", class: "small", text: "Refresh" });
  let lastSeen = null; // order id → status at the last read
  let stream = null;
  let reading = Promise.resolve();

  const cancel = (order, button) => busy(button, async () => {
    await api("POST", `/api/v2/accounts/${accountId}/orders/${order.id}/cancel`, KEY);
    await load();
  }, cancelError, "Cancel refused");

  const read = async () => {
    const [orders, fills] = await Promise.all([
      api("GET", `/api/v2/accounts/${accountId}/orders?limit=${ROWS}&order=desc`, KEY),
      api("GET", `/api/v2/accounts/${accountId}/order_fulfillments?limit=${ROWS}&order=desc`, KEY),
    ]);
    const current = new Map(orders.data.map((order) => [order.id, order.status]));
    // A status that moved, or an order new since the last read: balances changed.
    const settled = lastSeen !== null && [...current].some(([id, state]) => lastSeen.get(id) !== state);
    lastSeen = current;
    fill(ordersSlot, table(
      ["Placed", "Order", { label: "Tokens", numeric: true }, { label: "USD+", numeric: true }, { label: "Fee", numeric: true }, "Status", ""],
      orders.data.map((order) => orderRow(order, stocks, cancel)),
      { empty: "No orders yet." }));
    fill(fillsSlot, table(
      ["Time", "Fill", { label: "Tokens", numeric: true }, { label: "Price", numeric: true }, { label: "USD+", numeric: true }, { label: "Fee", numeric: true }],
      fills.data.map((item) => fillRow(item, stocks)),
      { empty: "No fills yet." }));
    if (settled) await onSettled();
  };

  /** Reads the tables, one read at a time (events arriving together cause one more read, not many). */
  const load = () => {
    reading = reading.then(() => read().catch((error) => fill(ordersSlot, errorBox(error, "Could not read the orders"))));
    return reading;
  };

  /** Whether an event concerns this account: its requests name it; orders and fills name an order we list. */
  const concerns = (event) => {
    const data = event.data;
    if (event.type.startsWith("order_request.")) return data.account_id === accountId;
    if (event.type === "order_fulfillment.created") return lastSeen?.has(data.order_id) ?? false;
    return lastSeen?.has(data.id) ?? false;
  };

  /** Reads now and follows the stream (once; later calls just read again). */
  const watch = async () => {
    if (!stream) {
      stream = subscribe("partner", {
        types: ORDER_EVENTS,
        onEvent: (event) => { if (concerns(event)) load(); },
        onState: (state) => {
          status.dataset.state = state;
          status.textContent = {
            live: "Live: orders update as the gateway reports them.",
            reconnecting: "Reconnecting to the event stream…",
            signed_out: "Signed out: sign in again to follow orders.",
          }[state];
          // Whatever happened while the stream was away is read once it is back.
          if (state === "live") load();
        },
      });
    }
    await load();
  };
  function stop() {
    stream?.stop();
    stream = null;
  }
  refresh.addEventListener("click", () => load());

  const element = h("section", { class: "card", "aria-labelledby": "orders-heading" },
    h("div", { class: "card-head" }, h("h2", { id: "orders-heading", text: "Orders" }), refresh),
    status, cancelError, ordersSlot,
    h("h3", { text: "Fills" }), fillsSlot);
  return { element, watch, stop };
}
