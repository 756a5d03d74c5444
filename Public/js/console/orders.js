// The account's orders and fills, polled while any order is still open: the engine moves
// open orders every second, so the table follows them until each is final (FILLED,
// CANCELLED, REJECTED or ERROR), then polling stops.

import { api } from "../api.js";
import { div, formatPrice, formatShares, formatUSDPlus, isZero } from "../decimal.js";
import { busy, cell, errorBox, fill, formatWhen, h, pill, table } from "../dom.js";

const KEY = { key: "partner" };
const TERMINAL = new Set(["FILLED", "CANCELLED", "REJECTED", "ERROR"]);
const POLL_MS = 1000;
const POLL_IDLE_MAX = 600; // stop after 10 minutes without a change; a click restarts it
const ROWS = 20;

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
  const status = h("p", { class: "hint", "aria-live": "off" });
  const refresh = h("button", { type: "button", class: "small", text: "Refresh" });
  let timer = null;
  let idleTicks = 0;
  let lastSeen = null; // order id → status at the last read
  let generation = 0; // a newer watch() supersedes the loop of an older one

  const cancel = (order, button) => busy(button, async () => {
    await api("POST", `/api/v2/accounts/${accountId}/orders/${order.id}/cancel`, KEY);
    await watch();
  }, cancelError, "Cancel refused");

  const load = async () => {
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
    return orders.data.some((order) => !TERMINAL.has(order.status));
  };

  const tick = async (mine) => {
    let open = false;
    try {
      open = await load();
    } catch (error) {
      fill(ordersSlot, errorBox(error, "Could not read the orders"));
      open = true; // keep trying: the gateway may be restarting
    }
    if (mine !== generation) return;
    idleTicks += 1;
    if (open && idleTicks < POLL_IDLE_MAX) {
      status.textContent = "Updating every second while an order is open.";
      timer = setTimeout(() => tick(mine), POLL_MS);
    } else {
      status.textContent = open ? "Paused; press Refresh to follow open orders again." : "All orders are final.";
    }
  };

  /** Reads now and polls until every order is final. */
  const watch = async () => {
    stop();
    idleTicks = 0;
    await tick(generation);
  };
  function stop() {
    generation += 1;
    clearTimeout(timer);
    timer = null;
  }
  refresh.addEventListener("click", () => watch());

  const element = h("section", { class: "card", "aria-labelledby": "orders-heading" },
    h("div", { class: "card-head" }, h("h2", { id: "orders-heading", text: "Orders" }), refresh),
    status, cancelError, ordersSlot,
    h("h3", { text: "Fills" }), fillsSlot);
  return { element, watch, stop };
}
