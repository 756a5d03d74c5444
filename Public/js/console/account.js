// One account: USD+ balance and the sandbox faucet, the wallet, the portfolio with a chart
// per position, the order ticket, live orders and fills, dividends paid, withdrawals and
// token transfers, and wrapped tokens (wbSTOCK).

import { api } from "../api.js";
import { lineChart } from "../chart.js";
import { cmp, formatShares, formatUSD, formatUSDPlus, mul, sum } from "../decimal.js";
import { busy, cell, errorBox, fill, formatWhen, h, notice, pill, table } from "../dom.js";
import { history, stockIndex } from "../stocks.js";
import { dividendsCard } from "./dividends.js";
import { mountOrders } from "./orders.js";
import { ticketCard } from "./ticket.js";
import { transfersCards } from "./transfers.js";
import { wrappersCard } from "./wrappers.js";

const KEY = { key: "partner" };
const WALLET_CHAINS = ["eip155:1", "eip155:42161", "eip155:8453", "eip155:11155111", "eip155:421614", "eip155:84532"];

export async function accountView(context, accountId) {
  const account = await api("GET", `/api/v2/accounts/${accountId}`, KEY);
  const [entity, stocks] = await Promise.all([api("GET", `/api/v2/entities/${account.entity_id}`, KEY), stockIndex()]);

  const cash = cashCard(accountId);
  const portfolio = portfolioCard(accountId);
  const wallet = walletCard(accountId, () => cash.refresh());
  const dividends = dividendsCard(accountId, stocks);
  const orders = mountOrders(accountId, stocks, { onSettled: () => Promise.all([cash.refresh(), portfolio.refresh()]) });
  const ticket = ticketCard(accountId, stocks, { onPlaced: () => { orders.watch(); cash.refresh(); } });
  const transfers = transfersCards(accountId, account.entity_id, { cash, portfolio });
  const wrappers = wrappersCard(accountId, { portfolio }, () => Promise.all([wrappers.refresh(), portfolio.refresh(), cash.refresh()]));
  cash.listeners.push(transfers.listTokens);
  portfolio.listeners.push(transfers.listTokens, wrappers.listStocks);
  context.onLeave(() => { orders.stop(); ticket.stop(); });
  await Promise.all([cash.refresh(), portfolio.refresh(), wallet.refresh(), dividends.refresh(), wrappers.refresh()]);
  await Promise.all([orders.watch(), transfers.refresh()]);

  return h(
    "div",
    {},
    h("nav", { class: "breadcrumbs", "aria-label": "Breadcrumbs" },
      h("a", { href: "#/customers", text: "Customers" }), " / ",
      h("a", { href: `#/customers/${entity.id}`, text: entity.name ?? "Customer" }), " / Account"),
    h("div", { class: "page-head" },
      h("h1", { text: `${entity.name ?? "Customer"} — account` }),
      h("p", {}, h("code", { text: account.id }), ` · ${account.jurisdiction} · opened ${formatWhen(account.created_dt)} · `,
        account.is_active ? pill("ACTIVE") : pill("CLOSED"))),
    h("div", { class: "grid two ordered" },
      h("div", { class: "stack" }, ordered(2, portfolio.element), ordered(3, ticket.element), ordered(4, orders.element), ordered(8, dividends.element), ordered(9, wrappers.element)),
      h("div", { class: "stack" }, ordered(1, cash.element), ordered(5, wallet.element), transfers.elements.map((card, index) => ordered(6 + index, card)))),
  );
}

/** Where a card goes when the two columns become one (style.css `.grid.ordered`). */
function ordered(position, element) {
  element.dataset.order = String(position);
  return element;
}

function cashCard(accountId) {
  const balance = h("div", { "aria-live": "polite" });
  const errorSlot = h("div");
  const faucet = h("button", { type: "button", class: "primary", "data-testid": "faucet", text: "Get 1,000 USD+ (sandbox faucet)" });
  const card = { element: null, balances: [], listeners: [] };
  card.refresh = async () => {
    try {
      card.balances = await api("GET", `/api/v2/accounts/${accountId}/cash`, KEY);
      const total = sum(card.balances.map((line) => line.amount));
      fill(balance,
        h("p", { class: "balance-big", "data-testid": "cash-balance", text: formatUSDPlus(total) }),
        card.balances.length > 1 ? h("ul", {}, card.balances.map((line) => h("li", { text: `${formatUSDPlus(line.amount)} on ${line.chain_id}` }))) : null,
        h("p", { class: "hint", text: card.balances[0] ? `Token ${card.balances[0].token_address} on ${card.balances[0].chain_id}` : "" }));
      for (const listener of card.listeners) listener();
    } catch (error) {
      fill(balance, errorBox(error, "Could not read the balance"));
    }
  };
  faucet.addEventListener("click", () => busy(faucet, async () => {
    try {
      const funding = await api("POST", `/api/v2/accounts/${accountId}/faucet`, KEY);
      errorSlot.replaceChildren(notice("good", `Minted ${formatUSDPlus(funding.amount)} to the account's wallet.`));
    } catch (error) {
      if (error.code === "route_not_found") error.message = "The faucet exists only when the gateway runs with --sandbox.";
      throw error;
    }
    await card.refresh();
  }, errorSlot, "Faucet refused"));
  card.element = h("section", { class: "card", "aria-labelledby": "cash-heading" },
    h("h2", { id: "cash-heading", text: "Cash (USD+)" }), balance,
    h("div", { class: "actions" }, faucet), h("p", { class: "hint", text: "Sandbox only: 1,000 USD+ per grant, 5 grants per account per New York day." }), errorSlot);
  return card;
}

function walletCard(accountId, onLinked) {
  const body = h("div");
  const card = {};
  const connectForm = () => {
    const errorSlot = h("div");
    const form = h("form", { id: "wallet-form", novalidate: true },
      h("p", { class: "muted", text: "No wallet yet: tokens and USD+ are minted to the account's wallet, so link one before funding or trading." }),
      h("div", { class: "form-grid" },
        h("label", {}, "Chain", h("select", { name: "chain_id" }, WALLET_CHAINS.map((chain) => h("option", { value: chain, text: chain })))),
        h("label", {}, "Address (0x…, 40 hex digits)", h("input", { name: "wallet_address", autocomplete: "off", spellcheck: "false", maxlength: 42 }))),
      errorSlot,
      h("div", { class: "actions" },
        h("button", { type: "submit", class: "primary", text: "Link this address" }),
        h("button", { type: "button", id: "managed-wallet", text: "Let BrokerGate create one" })));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const address = form.elements.namedItem("wallet_address").value.trim();
      if (!/^0x[0-9a-fA-F]{40}$/.test(address)) {
        errorSlot.replaceChildren(errorBox(new Error("An address is 0x followed by 40 hexadecimal digits.")));
        return undefined;
      }
      return busy(form.querySelector("button[type=submit]"), async () => {
        await api("POST", `/api/v2/accounts/${accountId}/wallet/internal`, { ...KEY, json: { chain_id: form.elements.namedItem("chain_id").value, wallet_address: address } });
        await card.refresh();
        onLinked();
      }, errorSlot, "Wallet refused");
    });
    const managed = form.querySelector("#managed-wallet");
    managed.addEventListener("click", () => busy(managed, async () => {
      await api("POST", `/api/v2/accounts/${accountId}/wallet/managed`, { ...KEY, json: { chain_id: form.elements.namedItem("chain_id").value } });
      await card.refresh();
      onLinked();
    }, errorSlot, "Could not create a wallet"));
    return form;
  };
  card.refresh = async () => {
    try {
      const wallet = await api("GET", `/api/v2/accounts/${accountId}/wallet`, KEY);
      fill(body, h("dl", { class: "facts", "data-testid": "wallet" },
        h("dt", { text: "Address" }), h("dd", {}, h("code", { class: "sig", text: wallet.address })),
        h("dt", { text: "Chain" }), h("dd", { text: wallet.chain_id }),
        h("dt", { text: "Kind" }), h("dd", { text: wallet.is_managed_wallet ? "managed by BrokerGate" : "partner-managed" }),
        wallet.is_aml_flagged ? [h("dt", { text: "AML" }), h("dd", { class: "down-text", text: "flagged" })] : null));
    } catch (error) {
      fill(body, error.status === 404 ? connectForm() : errorBox(error, "Could not read the wallet"));
    }
  };
  card.element = h("section", { class: "card", "aria-labelledby": "wallet-heading" }, h("h2", { id: "wallet-heading", text: "Wallet" }), body);
  return card;
}

/** A position's value over the last week at today's holding: amount × each hourly close. */
async function positionChart(asset) {
  const bars = await history(asset.stock_id, "WEEK");
  const points = bars.map((bar) => ({ x: Number(bar.timestamp), y: mul(asset.amount, bar.close) }));
  return lineChart(points, { width: 120, height: 32, label: `${asset.symbol}: value of ${formatShares(asset.amount)} tokens over 5 trading days` });
}

function portfolioCard(accountId) {
  const body = h("div", { "aria-live": "polite" });
  const card = { assets: [], listeners: [] };
  card.refresh = async () => {
    try {
      const portfolio = await api("GET", `/api/v2/accounts/${accountId}/portfolio`, KEY);
      card.assets = portfolio.assets;
      const rows = portfolio.assets.map((asset) => {
        const chartCell = h("td", { class: "stock-chart" });
        positionChart(asset).then((chart) => fill(chartCell, chart), () => fill(chartCell, h("span", { class: "muted", text: "—" })));
        return h("tr", { "data-testid": "position", "data-symbol": asset.symbol },
          h("th", { scope: "row", text: asset.symbol }),
          cell(formatShares(asset.amount), { numeric: true }),
          cell(formatUSD(asset.price), { numeric: true }),
          h("td", { class: "num", "data-testid": "market-value", text: formatUSD(asset.market_value) }),
          chartCell);
      });
      const total = sum(portfolio.assets.map((asset) => asset.market_value));
      fill(body,
        h("p", { class: "row spread" }, h("span", { class: "muted", text: "Market value of stock tokens" }),
          h("strong", { class: "balance-big", "data-testid": "portfolio-total", text: formatUSD(total) })),
        table(["Stock", { label: "Tokens", numeric: true }, { label: "Price", numeric: true }, { label: "Market value", numeric: true }, { label: "Week" }],
          rows, { empty: "No stock tokens yet. Buy some with the ticket below." }),
        rows.length ? h("p", { class: "hint", text: "Week: what the current holding would have been worth at each hourly close of the last 5 trading days." }) : null);
      for (const listener of card.listeners) listener();
    } catch (error) {
      fill(body, errorBox(error, "Could not read the portfolio"));
    }
  };
  card.hasPosition = (symbol) => card.assets.some((asset) => asset.symbol === symbol && cmp(asset.amount, "0") > 0);
  card.element = h("section", { class: "card", "aria-labelledby": "portfolio-heading" }, h("h2", { id: "portfolio-heading", text: "Portfolio" }), body);
  return card;
}
