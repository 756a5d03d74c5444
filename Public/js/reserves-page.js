// The public proof-of-reserves page. It reads the signed report, shows what it says from
// the signed text itself (`canonical`, not the convenience copy `report`), checks the
// Ed25519 signature in the browser where WebCrypto can, and explains how to check it
// independently with scripts/verify-reserves.py.

import { api, parseExactJSON } from "./api.js";
import { formatShares, formatUSDPlus, isZero } from "./decimal.js";
import { $, errorBox, fill, formatFullET, h, pill, table } from "./dom.js";

function hexBytes(hex) {
  if (!/^([0-9a-f]{2})+$/i.test(hex)) throw new Error("not hex");
  return Uint8Array.from(hex.match(/../g), (pair) => parseInt(pair, 16));
}

/** "valid", "invalid" or why this browser cannot tell. */
async function checkSignature(signed) {
  if (!globalThis.crypto?.subtle) return { state: "unavailable", why: "WebCrypto needs a secure context (HTTPS or localhost)" };
  try {
    const key = await crypto.subtle.importKey("raw", hexBytes(signed.public_key), { name: "Ed25519" }, false, ["verify"]);
    const valid = await crypto.subtle.verify({ name: "Ed25519" }, key, hexBytes(signed.signature), new TextEncoder().encode(signed.canonical));
    return { state: valid ? "valid" : "invalid" };
  } catch (error) {
    return { state: "unavailable", why: `this browser cannot check Ed25519 (${error.message})` };
  }
}

function differenceCell(difference) {
  const zero = isZero(difference);
  return h("td", { class: `num ${zero ? "up-text" : "down-text"}`, "data-testid": "difference" }, `${difference}${zero ? " ✓" : " ✗"}`);
}

function verdict(report, signature, keyMatches) {
  const backed = report.fully_backed === true;
  const rows = [
    ["Signature", signature.state === "valid" ? "valid (checked in this browser)" : signature.state === "invalid" ? "INVALID" : `not checked here: ${signature.why}`],
    ["Signing key", keyMatches ? "matches /api/v2/reserves/public_key" : "DIFFERS from /api/v2/reserves/public_key"],
    ["Computed at", formatFullET(report.computed_at)],
    ["Ledger sequence", String(report.ledger_sequence)],
    ["Key persistence", report.key_persistence === "stored" ? "stored (same key across restarts and replicas)" : "ephemeral (this process only)"],
  ];
  return h(
    "section",
    { class: "card", "aria-labelledby": "verdict-heading" },
    h("h2", { id: "verdict-heading", text: "Verdict" }),
    h("p", { class: `big-verdict ${backed ? "good" : "bad"}`, "data-testid": "fully-backed", text: backed ? "Fully backed" : "NOT fully backed" }),
    h("dl", { class: "facts" }, rows.map(([term, value]) => [h("dt", { text: term }), h("dd", { text: value })])),
  );
}

function usdPlusCard(usd) {
  const rows = [
    ["USD+ outstanding", formatUSDPlus(usd.outstanding)],
    ["USDC in reserve", formatUSDPlus(usd.reserve_usdc).replace(" USD+", " USDC")],
    ["Held by customers", formatUSDPlus(usd.customer_balances)],
    ["Held by the house", formatUSDPlus(usd.house_balances)],
    ["Customer balances tree", `${usd.liabilities.holders} ${usd.liabilities.holders === "1" ? "holder" : "holders"}, total ${formatUSDPlus(usd.liabilities.total)}`],
  ];
  const zero = isZero(usd.difference);
  return h(
    "section",
    { class: "card", "aria-labelledby": "usd-heading" },
    h("h2", { id: "usd-heading", text: "USD+ vs reserve" }),
    h("dl", { class: "facts" }, rows.map(([term, value]) => [h("dt", { text: term }), h("dd", { text: value })]),
      h("dt", { text: "Difference (reserve − outstanding)" }),
      h("dd", { class: zero ? "up-text" : "down-text", "data-testid": "usd-difference", text: `${usd.difference}${zero ? " ✓" : " ✗"}` })),
    h("p", { class: "hint" }, "Root hash of the customers' USD+ Merkle-sum tree: ", h("code", { class: "sig", text: usd.liabilities.root_hash })),
  );
}

function stocksCard(stocks) {
  const rows = stocks.map((stock) =>
    h("tr", {},
      h("th", { scope: "row", text: stock.symbol }),
      h("td", { class: "num", text: formatShares(stock.tokens_outstanding) }),
      h("td", { class: "num", text: formatShares(stock.custody_shares) }),
      differenceCell(stock.difference),
      h("td", { class: "num hide-narrow", text: String(stock.liabilities.holders) })));
  return h(
    "section",
    { class: "card", "aria-labelledby": "stocks-heading" },
    h("h2", { id: "stocks-heading", text: "Stock tokens vs shares in custody" }),
    table(
      ["Stock", { label: "Tokens outstanding", numeric: true }, { label: "Shares in custody", numeric: true },
        { label: "Difference", numeric: true }, { label: "Holders", numeric: true }],
      rows,
      { empty: "No stock tokens are outstanding yet." },
    ),
  );
}

function reconciliationCard(reconciliation) {
  const breaks = reconciliation.breaks.map((found) => h("li", {}, h("strong", { text: `${found.check} ${found.asset}: ` }), found.message));
  return h(
    "section",
    { class: "card", "aria-labelledby": "reconciliation-heading" },
    h("div", { class: "card-head" }, h("h2", { id: "reconciliation-heading", text: "Reconciliation" }), pill(reconciliation.status)),
    h("p", { text: `${reconciliation.checks} checks against the books; ${reconciliation.breaks.length} breaks.` }),
    breaks.length ? h("ul", { class: "findings" }, breaks) : null,
    h("p", { class: "hint", text: `Broker positions: ${reconciliation.broker_positions.toLowerCase()} — ${reconciliation.broker_positions_note}.` }),
  );
}

function signatureCard(signed, key) {
  const origin = window.location.origin;
  return h(
    "section",
    { class: "card", "aria-labelledby": "verify-heading" },
    h("h2", { id: "verify-heading", text: "Check it yourself" }),
    h("p", {}, "The report is canonical JSON signed with Ed25519. Anyone can verify the signature, the sums and the Merkle roots offline with ",
      h("code", { text: "scripts/verify-reserves.py" }), " from the BrokerGate repository (Python 3.9+ and ", h("code", { text: "cryptography" }), "):"),
    h("pre", {}, h("code", { text: `python3 scripts/verify-reserves.py --base-url ${origin}` })),
    h("p", { text: "It prints OK as its last line when everything verifies. A customer can also check that their own balance is inside the published totals:" }),
    h("pre", {}, h("code", { text: `python3 scripts/verify-reserves.py --base-url ${origin} --account ACCOUNT_ID --key-id KEY_ID --secret SECRET` })),
    h("p", { class: "hint", text: "Pin the key instead of trusting this server with --public-key HEX; save a report with --save-report FILE to compare later." }),
    h("dl", { class: "facts" },
      h("dt", { text: "Algorithm" }), h("dd", { text: signed.algorithm }),
      h("dt", { text: "Public key (hex)" }), h("dd", {}, h("code", { class: "sig", "data-testid": "public-key", text: signed.public_key })),
      h("dt", { text: "Public key (base64)" }), h("dd", {}, h("code", { class: "sig", text: key.public_key_base64 })),
      h("dt", { text: "Signature (hex)" }), h("dd", {}, h("code", { class: "sig", text: signed.signature }))),
    h("details", {}, h("summary", { text: "The signed text (canonical JSON)" }), h("pre", { class: "sig", text: signed.canonical })),
  );
}

async function show() {
  const container = $("reserves");
  try {
    const [signed, key] = await Promise.all([api("GET", "/api/v2/reserves"), api("GET", "/api/v2/reserves/public_key")]);
    const report = parseExactJSON(signed.canonical);
    const signature = await checkSignature(signed);
    const keyMatches = key.public_key === signed.public_key && report.public_key === signed.public_key;
    fill(
      container,
      signature.state === "invalid" ? h("div", { class: "alert error", role: "alert", text: "The signature does not verify: do not trust this report." }) : null,
      h("div", { class: "grid" }, verdict(report, signature, keyMatches), usdPlusCard(report.usd_plus)),
      h("div", { class: "stack spaced" }, stocksCard(report.stocks), reconciliationCard(report.reconciliation), signatureCard(signed, key)),
    );
  } catch (error) {
    fill(container, errorBox(error, "Could not read the proof of reserves"));
  }
}

show();
