import { currencyExponent } from "../../contract/currencies";

/**
 * Amounts and dates as a customer reads them. Money arrives in minor units and is turned into
 * a decimal string by integer arithmetic (no floating point), then laid out by Intl.
 */

/** The ISO 4217 exponent (src/contract/currencies.ts holds the one table). */
export { currencyExponent as minorUnitExponent };

/** `1234` usd → "$12.34"; `1234` jpy → "¥1,234"; `-500` eur → "-€5.00"; `1234` kwd → "KWD 1.234". */
export function formatAmount(minor: number, currency: string): string {
  const exponent = currencyExponent(currency);
  const negative = minor < 0;
  const digits = String(Math.abs(minor)).padStart(exponent + 1, "0");
  const decimal = exponent === 0 ? digits : `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
  const code = currency.toUpperCase();
  const format = formatterOf(code, exponent);
  // A string keeps every digit exact (Intl formats decimal strings without a float).
  if (format) return format.format(`${negative ? "-" : ""}${decimal}` as unknown as number);
  return `${negative ? "-" : ""}${code} ${groupThousands(decimal)}`;
}

/**
 * One Intl formatter per currency, made once per isolate: making one costs far more than
 * formatting with it (it was the renewal's largest email cost in bench/profile-renewal.md).
 * `null` for a code Intl refuses: those amounts are laid out by hand.
 */
const formatters = new Map<string, Intl.NumberFormat | null>();
function formatterOf(code: string, exponent: number): Intl.NumberFormat | null {
  let format = formatters.get(code);
  if (format === undefined) {
    try {
      format = new Intl.NumberFormat("en-US", {
        style: "currency",
        currency: code,
        minimumFractionDigits: exponent,
        maximumFractionDigits: exponent,
      });
    } catch {
      format = null;
    }
    formatters.set(code, format);
  }
  return format;
}

function groupThousands(decimal: string): string {
  const [whole, fraction] = decimal.split(".");
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/** "2026-01-31T10:00:00Z" → "January 31, 2026" (the UTC calendar date). */
export function formatDate(iso: string): string {
  const date = new Date(iso);
  return `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}, ${date.getUTCFullYear()}`;
}
