// Exact decimal arithmetic for money and quantities: a value is { units: BigInt, scale }
// meaning units / 10^scale. Amounts reach the browser as the source text of JSON numbers
// (api.js keeps it) or as what a person typed, and never pass through a binary float
// (DESIGN.md rule 1). Charts convert to Number for pixel coordinates only.

const DECIMAL_TEXT = /^([+-])?(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const SCALE_MAX = 18;

/** Parses "12.34", "-0.5", "1e-6"; throws on anything else. */
export function dec(text) {
  if (typeof text === "object" && text !== null && typeof text.units === "bigint") return text;
  const match = DECIMAL_TEXT.exec(String(text).trim());
  if (!match) throw new Error(`not a decimal number: ${String(text).slice(0, 40)}`);
  const [, sign, whole, fraction = "", exponentText = "0"] = match;
  let digits = whole + fraction;
  let scale = fraction.length - Number(exponentText);
  if (scale < 0) {
    digits += "0".repeat(-scale);
    scale = 0;
  }
  if (scale > SCALE_MAX) throw new Error(`more than ${SCALE_MAX} decimals: ${text}`);
  const units = BigInt(digits) * (sign === "-" ? -1n : 1n);
  return { units, scale };
}

const pow10 = (n) => 10n ** BigInt(n);

/** The value at `scale` decimals; `rounding` is "down" (toward zero), "up" (away from
 *  zero), "floor", "ceil" or "exact" (throws when digits would be lost). */
export function rescale(value, scale, rounding = "exact") {
  const { units, scale: from } = dec(value);
  if (scale >= from) return { units: units * pow10(scale - from), scale };
  const divisor = pow10(from - scale);
  const quotient = units / divisor; // BigInt division truncates toward zero
  const remainder = units % divisor;
  if (remainder === 0n) return { units: quotient, scale };
  const negative = units < 0n;
  switch (rounding) {
    case "down": return { units: quotient, scale };
    case "up": return { units: quotient + (negative ? -1n : 1n), scale };
    case "floor": return { units: negative ? quotient - 1n : quotient, scale };
    case "ceil": return { units: negative ? quotient : quotient + 1n, scale };
    default: throw new Error(`more than ${scale} decimals`);
  }
}

function aligned(a, b) {
  const x = dec(a);
  const y = dec(b);
  const scale = Math.max(x.scale, y.scale);
  return [rescale(x, scale).units, rescale(y, scale).units, scale];
}

export const add = (a, b) => {
  const [x, y, scale] = aligned(a, b);
  return { units: x + y, scale };
};

export const sub = (a, b) => {
  const [x, y, scale] = aligned(a, b);
  return { units: x - y, scale };
};

/** The exact product (scales add). */
export function mul(a, b) {
  const x = dec(a);
  const y = dec(b);
  return { units: x.units * y.units, scale: x.scale + y.scale };
}

/** a / b at `scale` decimals, rounded "down" (toward zero), "up", "floor" or "ceil". */
export function div(a, b, scale, rounding = "down") {
  const x = dec(a);
  const y = dec(b);
  if (y.units === 0n) throw new Error("division by zero");
  const shift = scale + y.scale - x.scale;
  const numerator = shift >= 0 ? x.units * pow10(shift) : x.units;
  const denominator = shift >= 0 ? y.units : y.units * pow10(-shift);
  const quotient = numerator / denominator;
  if (numerator % denominator === 0n) return { units: quotient, scale };
  const negative = (numerator < 0n) !== (denominator < 0n);
  const away = quotient + (negative ? -1n : 1n);
  const units = { down: quotient, up: away, floor: negative ? away : quotient, ceil: negative ? quotient : away }[rounding];
  if (units === undefined) throw new Error(`unknown rounding ${rounding}`);
  return { units, scale };
}

/** -1, 0 or 1. */
export function cmp(a, b) {
  const [x, y] = aligned(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export const isZero = (a) => dec(a).units === 0n;
export const sum = (values) => values.reduce((total, value) => add(total, value), dec("0"));

/** Number of decimals actually used (trailing zeros ignored). */
export function decimalsUsed(value) {
  let { units, scale } = dec(value);
  while (scale > 0 && units % 10n === 0n) {
    units /= 10n;
    scale -= 1;
  }
  return scale;
}

/** Plain text, e.g. "-1234.5", exactly. */
export function toText(value) {
  const { units, scale } = dec(value);
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return (negative ? "-" : "") + whole + (scale > 0 ? `.${fraction}` : "");
}

/** Display text with thousands separators: at least `min` and at most `max` decimals
 *  (extra digits rounded toward zero, so a balance is never shown larger than it is). */
export function format(value, { min = 0, max = 6, group = true, sign = false } = {}) {
  const used = Math.min(Math.max(decimalsUsed(value), min), max);
  const text = toText(rescale(value, used, "down"));
  const negative = text.startsWith("-");
  const [whole, fraction] = (negative ? text.slice(1) : text).split(".");
  const grouped = group ? whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",") : whole;
  const prefix = negative ? "−" : sign && dec(value).units > 0n ? "+" : "";
  return prefix + grouped + (fraction ? `.${fraction}` : "");
}

/** Asset display rules: USD amounts with cents, USD+ and stock tokens to the ledger's six
 *  decimals (trailing zeros beyond the minimum dropped). */
export const ASSETS = {
  USD: { min: 2, max: 2 },
  "USD+": { min: 2, max: 6 },
  SHARES: { min: 0, max: 6 },
  PRICE: { min: 2, max: 4 },
};

export const formatUSD = (value) => {
  const text = format(value, ASSETS.USD);
  return text.startsWith("−") ? `−$${text.slice(1)}` : `$${text}`;
};
export const formatUSDPlus = (value) => `${format(value, ASSETS["USD+"])} USD+`;
export const formatShares = (value) => format(value, ASSETS.SHARES);
export const formatPrice = (value) => `$${format(value, ASSETS.PRICE)}`;

/** Reads what a person typed: a positive decimal with at most `decimals` places.
 *  Returns { value } or { problem } with a message for the field. */
export function parseInput(text, { decimals, label = "amount", allowZero = false } = {}) {
  const trimmed = String(text ?? "").trim().replaceAll(",", "");
  if (trimmed === "") return { problem: `enter the ${label}` };
  if (!/^\d+(\.\d+)?$/.test(trimmed)) return { problem: `${label} must be a number such as 12.5` };
  const value = dec(trimmed);
  if (decimalsUsed(value) > decimals) return { problem: `${label} takes at most ${decimals} decimals` };
  if (!allowZero && value.units === 0n) return { problem: `${label} must be greater than 0` };
  return { value };
}

/** A float for drawing only (never for amounts shown or sent). */
export const toChartNumber = (value) => Number(toText(value));
