// The order ticket's fee quote. The API has no fee-quote route; the fee is documented in
// openapi.yaml (OrderRequestOptions.fee: "25 bps of notional") and computed by the server in
// Sources/BrokerGateCore/Orders/OrderPricing.swift and OrderChecks.sized. This mirrors them
// with exact decimals, for display before submit; the server's quote is the one held.

import { cmp, dec, mul, rescale, sub, add } from "./decimal.js";

export const FEE_BPS = 25n; // OrderPricing.feeBps
export const LEDGER_SCALE = 6; // LedgerAsset.scale: USD+ and tokens in millionths
export const MINIMUM_NOTIONAL = "1.00"; // OrderPricing.minimumNotional
const CENT_UNITS = 10_000n; // one cent at scale 6

/** 25 bps of `notional`, rounded down to the cent (in the customer's favour). */
export function feeOn(notional) {
  const units = rescale(notional, LEDGER_SCALE, "exact").units;
  const raw = (units * FEE_BPS) / 10_000n; // non-negative: truncation is floor
  return { units: (raw / CENT_UNITS) * CENT_UNITS, scale: LEDGER_SCALE };
}

/**
 * What the ticket shows before submit. Inputs are exact decimals (already checked for
 * precision); `price` (the current price) is needed only for a market sell, whose proceeds
 * are then an estimate. Returns { notional, fee, total, totalLabel, estimate, problem }.
 */
export function quoteOrder({ side, type, paymentAmount, quantity, limitPrice, price }) {
  let notional;
  let estimate = false;
  if (side === "BUY" && type === "MARKET") {
    notional = rescale(paymentAmount, LEDGER_SCALE);
  } else if (side === "BUY") {
    notional = rescale(mul(quantity, limitPrice), LEDGER_SCALE, "ceil");
  } else if (type === "LIMIT") {
    notional = rescale(mul(quantity, limitPrice), LEDGER_SCALE, "floor");
  } else {
    if (!price) return { problem: "waiting for the current price" };
    notional = rescale(mul(quantity, price), LEDGER_SCALE, "floor");
    estimate = true;
  }
  if (cmp(notional, MINIMUM_NOTIONAL) < 0) return { notional, problem: `orders must be worth at least $${MINIMUM_NOTIONAL}` };
  const fee = feeOn(notional);
  if (side === "BUY") {
    const label = type === "MARKET" ? "Held from USD+ (amount + fee)" : "Held from USD+ at most (quantity × limit + fee)";
    return { notional, fee, total: add(notional, fee), totalLabel: label, estimate };
  }
  const label = type === "MARKET" ? "Estimated proceeds after fee (at the current price)" : "Proceeds after fee, at least";
  return { notional, fee, total: sub(notional, fee), totalLabel: label, estimate };
}

export const isPositive = (value) => dec(value).units > 0n;
