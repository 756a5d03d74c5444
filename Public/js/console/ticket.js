// The order ticket: market or limit, buy or sell, time in force. It knows the session (market
// orders only in the regular session; otherwise it says so and names the next open) and
// shows the fee quote before submit. The server re-checks everything and its refusal is
// shown as it words it.

import { api } from "../api.js";
import { formatPrice, formatUSD, formatUSDPlus, parseInput, toText } from "../decimal.js";
import { errorBox, fill, formatTimeET, h, notice, pill } from "../dom.js";
import { FEE_BPS, quoteOrder } from "../fees.js";
import { describe, readMarket } from "../market.js";
import { alloyPrice, currentPrice, listAlloys } from "../stocks.js";

const KEY = { key: "partner" };
const MARKET_REREAD_MS = 15_000;
const TIFS = [
  ["DAY", "Day"],
  ["GTC", "Good till cancelled"],
  ["IOC", "Immediate or cancel"],
  ["FOK", "Fill or kill"],
];

function choice(name, value, label, checked) {
  return h("label", { class: "choice" }, h("input", { type: "radio", name, value, checked }), label);
}

/** What each input must look like, by side and type (OrderChecks.sized); alloys sell whole
 * alloy units with up to 4 decimals (AlloyLegs.sell). */
function amountRules(side, type, isAlloy = false) {
  if (side === "BUY" && type === "MARKET") return { payment_amount: { decimals: 2, label: "amount" } };
  const quantity = { decimals: type === "MARKET" && !isAlloy ? 6 : 4, label: "quantity" };
  return type === "LIMIT" ? { asset_quantity: quantity, limit_price: { decimals: 2, label: "limit price" } } : { asset_quantity: quantity };
}

export function ticketCard(accountId, stocks, { onPlaced }) {
  const tradable = stocks.list.filter((stock) => stock.is_tradable);
  const sessionNote = h("div", { "data-testid": "session-note", "aria-live": "polite" });
  const priceLine = h("p", { class: "hint", "aria-live": "polite" });
  const quoteBox = h("div", { class: "quote", "data-testid": "fee-quote", "aria-live": "polite" });
  const result = h("div", { "aria-live": "polite" });
  const form = h("form", { id: "order-ticket", novalidate: true },
    h("label", {}, "Stock or alloy", h("select", { name: "stock_id", "data-testid": "ticket-asset" },
      h("optgroup", { label: "Stocks" }, tradable.map((stock) =>
        h("option", { value: stock.id, selected: stock.symbol === "AAPL", text: `${stock.symbol} — ${stock.name}` }))))),
    priceLine,
    h("div", { class: "form-grid" },
      h("fieldset", { class: "choice-group" }, h("legend", { text: "Side" }), choice("side", "BUY", "Buy", true), choice("side", "SELL", "Sell", false)),
      h("fieldset", { class: "choice-group" }, h("legend", { text: "Type" }), choice("type", "MARKET", "Market", true), choice("type", "LIMIT", "Limit", false))),
    sessionNote,
    h("div", { class: "form-grid" },
      h("label", { "data-for": "payment_amount" }, "Amount to spend (USD+, 2 decimals)", h("input", { name: "payment_amount", inputmode: "decimal", autocomplete: "off", placeholder: "100.00" })),
      h("label", { "data-for": "asset_quantity" }, "Quantity (tokens)", h("input", { name: "asset_quantity", inputmode: "decimal", autocomplete: "off", placeholder: "1.5" })),
      h("label", { "data-for": "limit_price" }, "Limit price (USD, 2 decimals)", h("input", { name: "limit_price", inputmode: "decimal", autocomplete: "off", placeholder: "230.00" })),
      h("label", {}, "Time in force", h("select", { name: "order_tif" }, TIFS.map(([value, label]) => h("option", { value, text: label }))))),
    h("p", { class: "hint", text: "Day orders expire when their session ends; good-till-cancelled ones rest for up to the gateway's limit; immediate-or-cancel and fill-or-kill never rest." }),
    quoteBox,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", "data-testid": "place-order", text: "Place order" })),
    result);

  let market = null;
  let price = null;
  const value = (name) => form.elements.namedItem(name).value;
  const selected = (name) => form.querySelector(`input[name=${name}]:checked`)?.value;
  const stock = () => stocks.byId.get(value("stock_id"));
  // Alloy options carry "alloy:<id>": a basket, split by the gateway into one order per constituent.
  const alloys = new Map();
  const alloy = () => (value("stock_id").startsWith("alloy:") ? alloys.get(value("stock_id").slice(6)) : null);
  const assetSymbol = () => alloy()?.symbol ?? stock()?.symbol;

  const readAlloys = async () => {
    try {
      const list = (await listAlloys()).filter((item) => item.is_tradable);
      for (const item of list) alloys.set(item.id, item);
      if (list.length > 0) {
        form.elements.namedItem("stock_id").append(h("optgroup", { label: "Alloys (baskets, market orders only)" }, list.map((item) =>
          h("option", { value: `alloy:${item.id}`, text: `${item.symbol} — ${item.name} (${item.constituents.length} stocks)` }))));
      }
    } catch {
      // No alloys offered or readable: the ticket trades stocks only.
    }
  };

  const applySession = () => {
    if (!market) return;
    const state = describe(market);
    const marketRadio = form.querySelector("input[name=type][value=MARKET]");
    form.querySelector("input[name=type][value=LIMIT]").disabled = alloy() !== null;
    marketRadio.disabled = !state.marketOrdersAllowed;
    if (!state.marketOrdersAllowed && marketRadio.checked && !alloy()) form.querySelector("input[name=type][value=LIMIT]").checked = true;
    if (alloy() && state.marketOrdersAllowed) marketRadio.checked = true;
    fill(sessionNote, state.marketOrdersAllowed
      ? h("p", { class: "hint" }, pill("REGULAR"), ` Regular session: ${alloy() ? "alloys trade by market order" : "market and limit orders route"} now; it closes ${formatTimeET(market.hours.current_session_close_dt)}.`)
      : notice("warn", state.ticketNote));
  };

  const readSession = async () => {
    try {
      market = await readMarket();
      applySession();
    } catch (error) {
      fill(sessionNote, errorBox(error, "Market hours unavailable"));
    }
    layout();
  };

  /** Shows the inputs the chosen kind takes and the quote for what is typed. */
  const layout = () => {
    const side = selected("side");
    const type = selected("type");
    const rules = amountRules(side, type, alloy() !== null);
    for (const label of form.querySelectorAll("label[data-for]")) label.hidden = !(label.dataset.for in rules);
    const quantityLabel = form.querySelector("label[data-for=asset_quantity]").firstChild;
    quantityLabel.textContent = alloy()
      ? `Quantity (alloy units, up to 4 decimals; each unit sells its fixed share of every constituent)`
      : `Quantity (tokens, up to ${rules.asset_quantity?.decimals ?? 4} decimals${stock()?.is_fractionable === false ? ", whole shares only" : ""})`;
    form.querySelector("button[type=submit]").textContent = `Place ${type.toLowerCase()} ${side.toLowerCase()} order`;
    showQuote(side, type, rules);
  };

  const readAmounts = (rules) => {
    const amounts = {};
    const problems = {};
    for (const [name, rule] of Object.entries(rules)) {
      const parsed = parseInput(value(name), rule);
      if (parsed.problem) problems[name] = parsed.problem;
      else amounts[name] = parsed.value;
    }
    return { amounts, problems };
  };

  const showQuote = (side, type, rules) => {
    const { amounts, problems } = readAmounts(rules);
    if (Object.keys(problems).length > 0) {
      fill(quoteBox, h("p", { class: "muted", text: `Fee quote: ${Object.values(problems)[0]}.` }));
      return;
    }
    const quote = quoteOrder({ side, type, paymentAmount: amounts.payment_amount, quantity: amounts.asset_quantity, limitPrice: amounts.limit_price, price });
    if (quote.problem) {
      fill(quoteBox, h("p", { class: "muted", text: `Fee quote: ${quote.problem}.` }));
      return;
    }
    const basket = alloy();
    fill(quoteBox, h("dl", { class: "facts" },
      h("dt", { text: quote.estimate ? "Notional (estimate)" : "Notional" }), h("dd", { text: formatUSDPlus(quote.notional) }),
      h("dt", { text: `Fee (${Number(FEE_BPS)} bps, rounded down to the cent${basket ? ", per leg: at most this" : ""})` }), h("dd", { "data-testid": "quote-fee", text: formatUSD(quote.fee) }),
      h("dt", { text: quote.totalLabel }), h("dd", { "data-testid": "quote-total", text: formatUSDPlus(quote.total) })),
      basket ? h("p", { class: "hint", "data-testid": "alloy-legs-note", text: `${basket.symbol} splits into ${basket.constituents.length} orders, one per constituent (${basket.constituents.map((part) => part.symbol).join(", ")}), placed together; a buy's legs add up to exactly the amount, each at least 1 USD+.` }) : null);
  };

  // Each read is numbered: an answer for an asset the ticket no longer shows is dropped.
  let priceRead = 0;
  const readPrice = async () => {
    const read = ++priceRead;
    price = null;
    fill(priceLine, "Reading the price…");
    try {
      const basket = alloy();
      const answer = basket ? await alloyPrice(basket.id) : await currentPrice(value("stock_id"));
      if (read !== priceRead) return;
      price = answer.price;
      fill(priceLine, `Price now ${formatPrice(answer.price)} (model price; a market order fills at the broker's price).`);
    } catch (error) {
      if (read !== priceRead) return;
      fill(priceLine, errorBox(error, "Price unavailable"));
    }
    layout();
  };

  form.addEventListener("input", (event) => {
    if (event.target.name === "stock_id") {
      applySession();
      readPrice();
    }
    else layout();
  });
  form.addEventListener("change", (event) => {
    if (event.target.type === "radio") layout();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    result.replaceChildren();
    const side = selected("side");
    const type = selected("type");
    const basket = alloy();
    const rules = amountRules(side, type, basket !== null);
    const { amounts, problems } = readAmounts(rules);
    for (const input of form.querySelectorAll("input[aria-invalid]")) input.removeAttribute("aria-invalid");
    if (Object.keys(problems).length > 0) {
      for (const name of Object.keys(problems)) form.elements.namedItem(name).setAttribute("aria-invalid", "true");
      fill(result, errorBox(new Error(Object.values(problems).join("; "))));
      form.elements.namedItem(Object.keys(problems)[0]).focus();
      return;
    }
    const body = basket ? { alloy_id: basket.id, order_tif: value("order_tif") } : { stock_id: value("stock_id"), order_tif: value("order_tif") };
    for (const [name, amount] of Object.entries(amounts)) body[name] = toText(amount);
    const kind = `${type.toLowerCase()}_${side.toLowerCase()}`;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const request = await api("POST", `/api/v2/accounts/${accountId}/order_requests/${kind}`, { ...KEY, json: body });
      fill(result, notice("good", `Order accepted: ${type.toLowerCase()} ${side.toLowerCase()} ${assetSymbol()}${basket ? ` as ${basket.constituents.length} orders` : ""}. Its status updates under Orders until it is final.`));
      onPlaced(request);
    } catch (error) {
      fill(result, errorBox(error, "Order refused"));
    } finally {
      button.disabled = false;
    }
  });

  readSession();
  readPrice();
  readAlloys();
  const timer = setInterval(readSession, MARKET_REREAD_MS);
  return {
    element: h("section", { class: "card", "aria-labelledby": "ticket-heading" }, h("h2", { id: "ticket-heading", text: "Order ticket" }), form),
    stop: () => clearInterval(timer),
  };
}
