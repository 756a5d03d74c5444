// Small SVG line charts. Prices arrive as exact decimal strings; they become floats here
// only to place points on the screen. Labels show the exact text.

import { cmp, formatPrice, toChartNumber } from "./decimal.js";
import { svg, h } from "./dom.js";

/**
 * A line through `points` ([{ x: Number, y: decimal }]) in a width×height box.
 * `label` is the accessible name; the colour says whether the last point is above the first.
 */
export function lineChart(points, { width = 160, height = 40, label = "chart", padding = 2, area = false } = {}) {
  const box = svg("svg", {
    viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": label, class: "chart", preserveAspectRatio: "none",
  });
  if (points.length < 2) {
    box.append(svg("text", { x: width / 2, y: height / 2 + 4, "text-anchor": "middle", class: "chart-empty" }, "no data"));
    return box;
  }
  const xs = points.map((point) => point.x);
  const ys = points.map((point) => toChartNumber(point.y));
  const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  let [yMin, yMax] = [Math.min(...ys), Math.max(...ys)];
  if (yMax === yMin) {
    yMax += 1;
    yMin -= 1;
  }
  const px = (x) => padding + ((x - xMin) / (xMax - xMin || 1)) * (width - 2 * padding);
  const py = (y) => height - padding - ((y - yMin) / (yMax - yMin)) * (height - 2 * padding);
  const coordinates = points.map((point, index) => `${px(point.x).toFixed(1)},${py(ys[index]).toFixed(1)}`);
  const rising = cmp(points.at(-1).y, points[0].y) >= 0;
  box.classList.add(rising ? "up" : "down");
  box.append(svg("title", {}, label));
  if (area) {
    const floor = (height - padding).toFixed(1);
    box.append(svg("polygon", { class: "chart-area", points: `${px(xMin).toFixed(1)},${floor} ${coordinates.join(" ")} ${px(xMax).toFixed(1)},${floor}` }));
  }
  box.append(svg("polyline", { class: "chart-line", points: coordinates.join(" "), fill: "none" }));
  return box;
}

/** A sparkline of historical bars (HistoricalPrice: timestamp in Unix seconds, close). */
export function priceSparkline(bars, symbol, options = {}) {
  const points = bars.map((bar) => ({ x: Number(bar.timestamp), y: bar.close }));
  const label = points.length
    ? `${symbol}: ${formatPrice(points[0].y)} → ${formatPrice(points.at(-1).y)} over ${points.length} bars`
    : `${symbol}: no price history`;
  return lineChart(points, { label, ...options });
}

/** A chart inside a figure with a caption, for larger views. */
export function captionedChart(chart, caption) {
  return h("figure", { class: "chart-figure" }, chart, h("figcaption", { text: caption }));
}
