// The accumulating wrapper (wbSTOCK, BrokerGate extension): the account's wrapped tokens
// (GET …/wrapped_positions) and a form each to wrap stock tokens the account holds
// (POST …/wrap) and to unwrap wrapped tokens back into stock tokens (POST …/unwrap). The
// vault's dividends are reinvested, so the shares per wrapped token only rise.

import { api } from "../api.js";
import { cmp, format, formatShares, formatUSDPlus, isZero, parseInput, toText } from "../decimal.js";
import { busy, cell, errorBox, fill, h, notice, table } from "../dom.js";

const KEY = { key: "partner" };
const DECIMALS = 6; // both quantities: the ledger's six decimals
const formatRate = (value) => format(value, { min: 0, max: 12 });

/** `holdings.portfolio` supplies the stocks to wrap; `after` refreshes what a wrap changes. */
export function wrappersCard(accountId, { portfolio }, after) {
  const card = { positions: [] };
  const body = h("div", { "aria-live": "polite", "data-testid": "wrapped-positions" });
  const done = h("div", { "data-testid": "wrap-result" }); // the last wrap or unwrap (its form may hide after it)

  const stocks = h("select", { name: "stock_id" });
  const wrapError = h("div");
  const wrapForm = h("form", { id: "wrap-form", novalidate: true },
    h("div", { class: "form-grid" },
      h("label", {}, "Stock token", stocks),
      h("label", {}, `Quantity (tokens, up to ${DECIMALS} decimals)`, h("input", { name: "quantity", inputmode: "decimal", autocomplete: "off", placeholder: "0.1" }))),
    wrapError,
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Wrap" })));

  const wrapped = h("select", { name: "stock_id" });
  const unwrapError = h("div");
  const unwrapForm = h("form", { id: "unwrap-form", novalidate: true, hidden: true },
    h("div", { class: "form-grid" },
      h("label", {}, "Wrapped token", wrapped),
      h("label", {}, `Wrapped quantity (up to ${DECIMALS} decimals)`, h("input", { name: "wrapped_quantity", inputmode: "decimal", autocomplete: "off" }))),
    unwrapError,
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Unwrap" })));

  /** Reads the form's quantity; shows the problem and answers null when there is one. */
  const quantityOf = (form, name, errorSlot, select, nothing) => {
    done.replaceChildren();
    const quantity = parseInput(form.elements.namedItem(name).value, { decimals: DECIMALS, label: "quantity" });
    const problem = !select.value ? nothing : quantity.problem;
    if (problem) {
      errorSlot.replaceChildren(errorBox(new Error(problem)));
      return null;
    }
    return quantity.value;
  };

  wrapForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const quantity = quantityOf(wrapForm, "quantity", wrapError, stocks, "no stock tokens to wrap yet: buy some with the ticket");
    if (!quantity) return undefined;
    return busy(wrapForm.querySelector("button"), async () => {
      const wrap = await api("POST", `/api/v2/accounts/${accountId}/wrap`, { ...KEY, json: { stock_id: stocks.value, quantity: toText(quantity) } });
      done.replaceChildren(notice("good", `Wrapped ${formatShares(wrap.quantity)} ${wrap.symbol} into ${formatShares(wrap.wrapped_quantity)} ${wrap.wrapped_symbol}.`));
      wrapForm.elements.namedItem("quantity").value = "";
      await after();
    }, wrapError, "Wrap refused");
  });

  unwrapForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const quantity = quantityOf(unwrapForm, "wrapped_quantity", unwrapError, wrapped, "no wrapped tokens to unwrap");
    if (!quantity) return undefined;
    return busy(unwrapForm.querySelector("button"), async () => {
      const unwrap = await api("POST", `/api/v2/accounts/${accountId}/unwrap`, { ...KEY, json: { stock_id: wrapped.value, wrapped_quantity: toText(quantity) } });
      const cash = isZero(unwrap.cash_amount) ? "" : ` and ${formatUSDPlus(unwrap.cash_amount)}`;
      done.replaceChildren(notice("good", `Unwrapped ${formatShares(unwrap.wrapped_quantity)} ${unwrap.wrapped_symbol} into ${formatShares(unwrap.quantity)} ${unwrap.symbol}${cash}.`));
      unwrapForm.elements.namedItem("wrapped_quantity").value = "";
      await after();
    }, unwrapError, "Unwrap refused");
  });

  /** The stocks to wrap: what the portfolio card last read (kept chosen across refreshes). */
  card.listStocks = () => {
    const chosen = stocks.value;
    fill(stocks, portfolio.assets.filter((asset) => cmp(asset.amount, "0") > 0).map((asset) =>
      h("option", { value: asset.stock_id, text: `${asset.symbol} (${formatShares(asset.amount)})` })));
    if (chosen && [...stocks.options].some((option) => option.value === chosen)) stocks.value = chosen;
  };

  card.refresh = async () => {
    try {
      card.positions = await api("GET", `/api/v2/accounts/${accountId}/wrapped_positions`, KEY);
      const held = card.positions.filter((position) => !isZero(position.wrapped_quantity));
      const rows = held.map((position) => h("tr", { "data-testid": "wrapped-position", "data-symbol": position.wrapped_symbol },
        h("th", { scope: "row" }, position.wrapped_symbol, h("span", { class: "sub", text: `wraps ${position.symbol}` })),
        h("td", { class: "num", "data-testid": "wrapped-quantity", text: formatShares(position.wrapped_quantity) }),
        h("td", { class: "num", "data-testid": "wrapped-shares", text: formatShares(position.shares) }),
        cell(formatRate(position.shares_per_token), { numeric: true })));
      fill(body, table(["Wrapped token", { label: "Wrapped", numeric: true }, { label: "Worth (shares)", numeric: true }, { label: "Shares per token", numeric: true }],
        rows, { empty: "No wrapped tokens yet." }));
      const chosen = wrapped.value;
      fill(wrapped, held.map((position) => h("option", { value: position.stock_id, text: `${position.wrapped_symbol} (${formatShares(position.wrapped_quantity)})` })));
      if (chosen && held.some((position) => position.stock_id === chosen)) wrapped.value = chosen;
      unwrapForm.hidden = held.length === 0;
    } catch (error) {
      fill(body, errorBox(error, "Could not read the wrapped tokens"));
    }
  };

  card.element = h("section", { class: "card", "aria-labelledby": "wrappers-heading" },
    h("h2", { id: "wrappers-heading", text: "Wrapped tokens" }),
    h("p", { class: "hint", text: "A stock's accumulating wrapper (wb + symbol) reinvests the dividends of the shares in its vault (after 30 % US withholding), so each wrapped token is worth a growing number of shares. Unwrapping pays the shares back, with any cash not yet reinvested." }),
    body, done, wrapForm, unwrapForm);
  card.listStocks();
  return card;
}
