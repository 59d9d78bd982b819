/**
 * Exact decimals for usage: a value is a bigint count of 10^-12 (twelve fractional digits),
 * parsed from and formatted to strings; never a float. Quantities and unit prices of usage
 * (docs/billing-rules.md rule 14: "0.04" minor units a unit) are both Decimals.
 */
export type Decimal = bigint;

export const DECIMAL_SCALE = 12;
export const ONE: Decimal = 10n ** BigInt(DECIMAL_SCALE);
const MAX_INTEGER_DIGITS = 15;

const DECIMAL_STRING = /^(\d+)(?:\.(\d+))?$/;
const NUMBER_STRING = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i;

/**
 * A non-negative decimal string ("12", "0.0004") or JSON number (0.5, 1e-7) with at most 12
 * fractional digits and 15 integer digits, or null. A JSON number is read from its shortest
 * round-trip text, which is the literal the client wrote for any value with ≤ 15 significant digits.
 */
export function parseDecimal(input: unknown): Decimal | null {
  if (typeof input === "string") {
    const match = DECIMAL_STRING.exec(input);
    return match ? fromDigits(match[1]!, match[2] ?? "", 0) : null;
  }
  if (typeof input === "number") {
    if (!Number.isFinite(input) || input < 0) return null;
    const match = NUMBER_STRING.exec(String(input));
    return match ? fromDigits(match[1]!, match[2] ?? "", Number(match[3] ?? 0)) : null;
  }
  return null;
}

/** digits "int.frac" × 10^exponent, within the limits, as a Decimal. */
function fromDigits(integer: string, fraction: string, exponent: number): Decimal | null {
  let digits = integer + fraction;
  let point = integer.length + exponent;
  if (point < 0) {
    digits = "0".repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits += "0".repeat(point - digits.length);
  const whole = digits.slice(0, point).replace(/^0+/, "");
  const frac = digits.slice(point).replace(/0+$/, "");
  if (whole.length > MAX_INTEGER_DIGITS || frac.length > DECIMAL_SCALE) return null;
  return BigInt(whole || "0") * ONE + BigInt(frac.padEnd(DECIMAL_SCALE, "0") || "0");
}

/** The shortest exact text of a Decimal: "0", "12", "0.0004", "-1.5". */
export function formatDecimal(value: Decimal): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / ONE;
  const frac = (abs % ONE).toString().padStart(DECIMAL_SCALE, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${frac ? `.${frac}` : ""}`;
}

export function decimalOfInteger(n: number | bigint): Decimal {
  return BigInt(n) * ONE;
}

/** a × b, both Decimals, as a Decimal scaled by 10^24 (kept exact until the one rounding). */
export function multiplyExact(a: Decimal, b: Decimal): bigint {
  return a * b;
}

/** ceil(a / b) for positive Decimals, as an integer. */
export function ceilDivide(a: Decimal, b: Decimal): bigint {
  if (b <= 0n) throw new RangeError("divisor must be positive");
  return a <= 0n ? 0n : (a + b - 1n) / b;
}

export function maxDecimal(a: Decimal, b: Decimal): Decimal {
  return a > b ? a : b;
}

export function minDecimal(a: Decimal, b: Decimal): Decimal {
  return a < b ? a : b;
}
