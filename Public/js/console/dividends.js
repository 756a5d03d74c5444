// Cash dividends paid to the account on the stock tokens it held at the ex date, net of the
// US tax withheld (GET …/dividend_payments; the gateway pays them from 00:00 New York of the
// pay date, in USD+).

import { api } from "../api.js";
import { formatUSDPlus } from "../decimal.js";
import { cell, errorBox, fill, h, table } from "../dom.js";
import { businessNow, readMarket } from "../market.js";

const KEY = { key: "partner" };
const ROWS = 20;
const LOOKBACK_DAYS = 365;
const newYorkDate = new Intl.DateTimeFormat("en-CA", { timeZone: "America/New_York", year: "numeric", month: "2-digit", day: "2-digit" });
const dayFormat = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", day: "numeric", month: "short", year: "numeric" });

/** "YYYY-MM-DD" `days` after the New York date of `instant` (milliseconds). */
function dateAfter(instant, days) {
  const [year, month, day] = newYorkDate.format(new Date(instant)).split("-").map(Number);
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/** "11 Dec 2026" for "2026-12-11" (a New York calendar date, no time of day). */
const formatDay = (iso) => dayFormat.format(new Date(`${iso}T00:00:00Z`));

/** The card: the last year's payments, newest first, by the business clock's "today". */
export function dividendsCard(accountId, stocks) {
  const body = h("div", { "aria-live": "polite", "data-testid": "dividends" });
  const refresh = h("button", { type: "button", class: "small", text: "Refresh" });
  const card = {};
  card.refresh = async () => {
    try {
      // The sandbox clock can be far from the browser's: the range follows business time.
      const now = await readMarket().then(businessNow, () => Date.now());
      const query = new URLSearchParams({
        start_date: dateAfter(now, -LOOKBACK_DAYS), end_date: dateAfter(now, 1), order: "desc", limit: String(ROWS),
      });
      const page = await api("GET", `/api/v2/accounts/${accountId}/dividend_payments?${query}`, KEY);
      const rows = page.data.map((payment) => {
        const symbol = stocks.byId.get(payment.stock_id)?.symbol ?? payment.stock_id;
        return h("tr", { "data-testid": "dividend", "data-symbol": symbol },
          cell(h("time", { datetime: payment.payment_date, text: formatDay(payment.payment_date) })), cell(symbol), cell(formatUSDPlus(payment.amount), { numeric: true }));
      });
      fill(body,
        table(["Paid", "Stock", { label: "Net amount", numeric: true }], rows, { empty: "No dividends yet." }),
        page.pagination_metadata?.next ? h("p", { class: "hint", text: `The latest ${ROWS} payments of the last year.` }) : null);
    } catch (error) {
      fill(body, errorBox(error, "Could not read the dividends"));
    }
  };
  refresh.addEventListener("click", () => card.refresh());
  card.element = h("section", { class: "card", "aria-labelledby": "dividends-heading" },
    h("div", { class: "card-head" }, h("h2", { id: "dividends-heading", text: "Dividends" }), refresh),
    h("p", { class: "hint", text: "Cash dividends on the stock tokens held when each ex date began, paid in USD+ on the pay date, net of US withholding tax." }),
    body);
  return card;
}
