// The public markets page: the market clock, every stock with its price and today's chart,
// and the gateway's health. Market data routes are public (openapi.yaml `security: []`),
// so nothing here needs or sends a key.

import { api } from "./api.js";
import { priceSparkline } from "./chart.js";
import { cmp, format, formatPrice } from "./decimal.js";
import { $, errorBox, fill, h } from "./dom.js";
import { mountMarketClock } from "./market.js";
import { currentPrice, history, listAllStocks } from "./stocks.js";

const PARALLEL_MAX = 4; // price + chart requests in flight at once

/** Runs `work` for items as they scroll into view, a few at a time. */
function whenVisible(elements, work) {
  const queue = [];
  let running = 0;
  const pump = () => {
    while (running < PARALLEL_MAX && queue.length > 0) {
      const element = queue.shift();
      running += 1;
      work(element).finally(() => {
        running -= 1;
        pump();
      });
    }
  };
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      observer.unobserve(entry.target);
      queue.push(entry.target);
    }
    pump();
  }, { rootMargin: "200px" });
  for (const element of elements) observer.observe(element);
}

function changeText(price) {
  if (price.change === null || price.change === undefined) return h("span", { class: "muted", text: "—" });
  const rising = cmp(price.change, "0") >= 0;
  const percent = price.change_percent === null ? "" : ` (${format(price.change_percent, { min: 2, max: 2, sign: true })} %)`;
  return h("span", { class: rising ? "up-text" : "down-text", text: `${format(price.change, { min: 2, max: 2, sign: true })}${percent}` });
}

async function loadRow(row) {
  const { stockId, symbol } = row.dataset;
  const [priceCell, changeCell, chartCell] = row.querySelectorAll("[data-slot]");
  try {
    const [price, bars] = await Promise.all([
      currentPrice(stockId),
      history(stockId, "DAY"),
    ]);
    fill(priceCell, h("span", { "data-testid": "price", text: formatPrice(price.price) }));
    fill(changeCell, changeText(price));
    fill(chartCell, priceSparkline(bars, symbol, { width: 140, height: 36 }));
  } catch (error) {
    fill(priceCell, h("span", { class: "down-text", title: error.message, text: "unavailable" }));
  }
}

function stockRow(stock) {
  return h(
    "tr",
    { dataset: { stockId: stock.id, symbol: stock.symbol, search: `${stock.symbol} ${stock.name}`.toLowerCase() } },
    h("th", { scope: "row" }, h("span", { text: stock.symbol }), h("span", { class: "sub", text: stock.name })),
    h("td", { class: "num", "data-slot": "price" }, h("span", { class: "muted", text: "…" })),
    h("td", { class: "num hide-narrow", "data-slot": "change" }),
    h("td", { class: "stock-chart", "data-slot": "chart" }),
  );
}

async function showStocks() {
  const container = $("stocks");
  try {
    const stocks = await listAllStocks();
    const rows = stocks.map(stockRow);
    fill(
      container,
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { "data-testid": "stock-table" },
          h("caption", { text: `${stocks.length} stocks and ETFs; prices are the model's, the chart is today's (5-minute bars).` }),
          h(
            "thead",
            {},
            h("tr", {}, h("th", { scope: "col", text: "Stock" }), h("th", { scope: "col", class: "num", text: "Price" }),
              h("th", { scope: "col", class: "num hide-narrow", text: "Change" }), h("th", { scope: "col", text: "Today" })),
          ),
          h("tbody", {}, rows),
        ),
      ),
    );
    whenVisible(rows, loadRow);
    $("stock-filter").addEventListener("input", (event) => {
      const needle = event.target.value.trim().toLowerCase();
      for (const row of rows) row.hidden = needle !== "" && !row.dataset.search.includes(needle);
    });
  } catch (error) {
    fill(container, errorBox(error, "Could not list stocks"));
  }
}

async function showStatus(id, path) {
  const element = $(id);
  try {
    const body = await api("GET", path);
    const reconciliation = body.reconciliation ? ` · reconciliation ${body.reconciliation.status}` : "";
    element.textContent = `${body.status}${body.store ? ` (${body.store})` : ""}${reconciliation}`;
    element.className = "up-text";
  } catch (error) {
    element.textContent = `${error.status || "unreachable"}: ${error.message}`;
    element.className = "down-text";
  }
}

$("base-url").textContent = window.location.origin;
mountMarketClock($("market-clock"));
showStocks();
showStatus("health", "/health");
showStatus("ready", "/ready");
