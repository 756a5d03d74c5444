// Money leaving the account: USD+ withdrawals (burned, paid out as USDC to the wallet of an
// account of the same customer) and token transfers (USD+ or stock tokens to another
// KYC-passed account of the organization).

import { api } from "../api.js";
import { formatShares, formatUSDPlus, parseInput, toText } from "../decimal.js";
import { busy, cell, errorBox, fill, formatWhen, h, notice, pill, shortId, table } from "../dom.js";

const KEY = { key: "partner" };
const LIST_ROWS = 10;

function withdrawalCard(accountId, after) {
  const errorSlot = h("div");
  const list = h("div");
  const recipients = h("select", { name: "recipient_account_id" });
  const form = h("form", { id: "withdraw-form", novalidate: true },
    h("div", { class: "form-grid" },
      h("label", {}, "Amount (USD+, up to 6 decimals)", h("input", { name: "payment_token_quantity", inputmode: "decimal", autocomplete: "off", placeholder: "50.00" })),
      h("label", {}, "Pay out to the wallet of", recipients)),
    errorSlot,
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Withdraw" })));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const amount = parseInput(form.elements.namedItem("payment_token_quantity").value, { decimals: 6, label: "amount" });
    if (amount.problem) {
      errorSlot.replaceChildren(errorBox(new Error(amount.problem)));
      return undefined;
    }
    return busy(form.querySelector("button"), async () => {
      const request = await api("POST", `/api/v2/accounts/${accountId}/withdrawal_requests`, {
        ...KEY, json: { payment_token_quantity: toText(amount.value), recipient_account_id: recipients.value },
      });
      errorSlot.replaceChildren(notice("good", `Withdrawal ${request.status.toLowerCase()}: ${formatUSDPlus(request.payment_token_amount)}.`));
      form.reset();
      await after();
    }, errorSlot, "Withdrawal refused");
  });

  const refresh = async (accounts) => {
    fill(recipients, accounts.map((account) => h("option", { value: account.id, selected: account.id === accountId, text: `${account.id === accountId ? "this account" : "account"} ${account.id.slice(0, 8)}` })));
    try {
      const page = await api("GET", `/api/v2/accounts/${accountId}/withdrawal_requests?limit=${LIST_ROWS}`, KEY);
      fill(list, table(["Requested", { label: "Amount", numeric: true }, "To", "Status"], page.data.map((request) => h("tr", {},
        cell(formatWhen(request.created_dt)), cell(formatUSDPlus(request.payment_token_amount), { numeric: true }),
        cell(shortId(request.recipient_account_id)), cell(pill(request.status)))), { empty: "No withdrawals yet." }));
    } catch (error) {
      fill(list, errorBox(error, "Could not list withdrawals"));
    }
  };
  const element = h("section", { class: "card", "aria-labelledby": "withdraw-heading" },
    h("h2", { id: "withdraw-heading", text: "Withdraw USD+" }),
    h("p", { class: "hint", text: "Burns USD+ and pays the same amount of USDC to the recipient account's wallet (not to managed wallets). KYC must have passed." }),
    form, list);
  return { element, refresh };
}

function transferCard(accountId, { cash, portfolio }, after) {
  const card = {};
  const errorSlot = h("div");
  const list = h("div");
  const tokens = h("select", { name: "token_address" });
  const suggestions = h("datalist", { id: "transfer-recipients" });
  const form = h("form", { id: "transfer-form", novalidate: true },
    h("div", { class: "form-grid" },
      h("label", {}, "Token", tokens),
      h("label", {}, "Quantity", h("input", { name: "quantity", inputmode: "decimal", autocomplete: "off", placeholder: "10" })),
      h("label", {}, "Recipient account id", h("input", { name: "recipient_account_id", list: "transfer-recipients", autocomplete: "off", spellcheck: "false", maxlength: 36 }))),
    suggestions, errorSlot,
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Transfer" })));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const option = tokens.selectedOptions[0];
    const decimals = option?.dataset.kind === "stock" ? 4 : 6;
    const quantity = parseInput(form.elements.namedItem("quantity").value, { decimals, label: "quantity" });
    const recipient = form.elements.namedItem("recipient_account_id").value.trim();
    const problem = !option ? "nothing to transfer yet" : quantity.problem ?? (/^[0-9a-fA-F-]{36}$/.test(recipient) ? null : "enter the recipient's account id");
    if (problem) {
      errorSlot.replaceChildren(errorBox(new Error(problem)));
      return undefined;
    }
    return busy(form.querySelector("button"), async () => {
      const transfer = await api("POST", `/api/v2/accounts/${accountId}/token_transfers`, {
        ...KEY, json: { token_address: tokens.value, quantity: toText(quantity.value), recipient_account_id: recipient },
      });
      errorSlot.replaceChildren(notice("good", `Transfer ${transfer.status.toLowerCase()}: ${formatShares(transfer.quantity)} ${option.dataset.symbol}.`));
      form.reset();
      await after();
    }, errorSlot, "Transfer refused");
  });

  // Rebuilt from what the cash and portfolio cards last read, whenever the list is opened.
  const listTokens = () => {
    const chosen = tokens.value;
    fill(tokens,
      cash.balances.map((line) => h("option", { value: line.token_address, dataset: { kind: "usd", symbol: "USD+" }, text: `USD+ (${formatUSDPlus(line.amount)})` })),
      portfolio.assets.map((asset) => h("option", { value: asset.token_address, dataset: { kind: "stock", symbol: asset.symbol }, text: `${asset.symbol} (${formatShares(asset.amount)})` })));
    if (chosen) tokens.value = chosen;
  };
  tokens.addEventListener("focus", listTokens);
  card.listTokens = listTokens;

  const refresh = async (accounts) => {
    listTokens();
    fill(suggestions, accounts.filter((account) => account.id !== accountId).map((account) => h("option", { value: account.id, text: "same customer" })));
    try {
      const page = await api("GET", `/api/v2/accounts/${accountId}/token_transfers?limit=${LIST_ROWS}`, KEY);
      fill(list, table(["Sent", { label: "Quantity", numeric: true }, "To", "Status"], page.data.map((transfer) => h("tr", {},
        cell(formatWhen(transfer.created_dt)), cell(formatShares(transfer.quantity), { numeric: true }),
        cell(shortId(transfer.recipient_account_id)), cell(pill(transfer.status)))), { empty: "No transfers yet." }));
    } catch (error) {
      fill(list, errorBox(error, "Could not list transfers"));
    }
  };
  const element = h("section", { class: "card", "aria-labelledby": "transfer-heading" },
    h("h2", { id: "transfer-heading", text: "Transfer tokens" }),
    h("p", { class: "hint", text: "To another active, KYC-passed account of your organization. USD+ up to 6 decimals, stock tokens up to 4." }),
    form, list);
  return Object.assign(card, { element, refresh });
}

export function transfersCards(accountId, entityId, holdings) {
  const cards = {};
  const refresh = async () => {
    const accounts = await api("GET", `/api/v2/entities/${entityId}/accounts?limit=100`, KEY).then((page) => page.data, () => []);
    await Promise.all([cards.withdrawal.refresh(accounts), cards.transfer.refresh(accounts)]);
  };
  const after = async () => {
    await Promise.all([holdings.cash.refresh(), holdings.portfolio.refresh()]);
    await refresh();
  };
  cards.withdrawal = withdrawalCard(accountId, after);
  cards.transfer = transferCard(accountId, holdings, after);
  return { elements: [cards.withdrawal.element, cards.transfer.element], refresh, listTokens: () => cards.transfer.listTokens() };
}
