// The stock list (public), read once per page and indexed by id and symbol.

import { api } from "./api.js";

export const STOCKS = "/api/v2/market_data/stocks/";
const PAGES_MAX = 10; // 100 stocks a page: bounded even if a cursor never ended

/** Every listed stock, following the cursor. */
export async function listAllStocks() {
  const stocks = [];
  let next = null;
  for (let page = 0; page < PAGES_MAX; page += 1) {
    const query = new URLSearchParams({ limit: "100" });
    if (next) query.set("next", next);
    const answer = await api("GET", `${STOCKS}?${query}`);
    stocks.push(...answer.data);
    next = answer.pagination_metadata?.next;
    if (!next) break;
  }
  return stocks;
}

let cached = null;

/** { list, byId: Map, bySymbol: Map }, fetched once. */
export function stockIndex() {
  cached ??= listAllStocks().then((list) => ({
    list,
    byId: new Map(list.map((stock) => [stock.id, stock])),
    bySymbol: new Map(list.map((stock) => [stock.symbol, stock])),
  }));
  cached.catch(() => {
    cached = null;
  });
  return cached;
}

export const currentPrice = (stockId) => api("GET", `${STOCKS}${stockId}/current_price`);
export const history = (stockId, timespan) => api("GET", `${STOCKS}${stockId}/historical_prices/?timespan=${timespan}`);

// Alloys: named baskets of stocks traded as one (market orders only).
export const ALLOYS = "/api/v2/market_data/alloys/";

/** Every alloy (one page: the gateway offers at most 100). */
export async function listAlloys() {
  const answer = await api("GET", `${ALLOYS}?limit=100`);
  return answer.data;
}

export const alloyPrice = (alloyId) => api("GET", `${ALLOYS}${alloyId}/current_price`);
