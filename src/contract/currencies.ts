/**
 * ISO 4217 currencies in circulation (List One, 2026) with their minor-unit exponents: an
 * amount of 2000 `usd` is $20.00 (exponent 2), 2000 `jpy` is ¥2,000 (0), 2000 `kwd` is
 * KWD 2.000 (3). Funds codes without a minor unit (XAU, XDR, XTS…) are not currencies one
 * bills in and are left out. Used to validate `currency` (docs/billing-rules.md, Conventions: an unknown code is 400)
 * and to format amounts for people (emails, the dashboard).
 */

const EXPONENT_0 = "bif clp djf gnf isk jpy kmf krw pyg rwf ugx uyi vnd vuv xaf xof xpf";
const EXPONENT_3 = "bhd iqd jod kwd lyd omr tnd";
const EXPONENT_4 = "clf uyw";
const EXPONENT_2 =
  "aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bmd bnd bob bov brl bsd btn bwp byn bzd cad cdf che chf chw " +
  "cny cop cou crc cuc cup cve czk dkk dop dzd egp ern etb eur fjd fkp gbp gel ghs gip gmd gtq gyd hkd hnl htg huf idr " +
  "ils inr irr jmd kes kgs khr kpw kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mru mur mvr mwk mxn mxv myr " +
  "mzn nad ngn nio nok npr nzd pab pen pgk php pkr pln qar ron rsd rub sar sbd scr sdg sek sgd shp sle sll sos srd ssp " +
  "stn svc syp szl thb tjs tmt top try ttd twd tzs uah usd usn uyu uzs ved ves wst xcd xcg yer zar zmw zwg";

const EXPONENTS: ReadonlyMap<string, number> = new Map(
  (
    [
      [EXPONENT_0, 0],
      [EXPONENT_2, 2],
      [EXPONENT_3, 3],
      [EXPONENT_4, 4],
    ] as const
  ).flatMap(([codes, exponent]) => codes.split(" ").map((code) => [code, exponent] as const)),
);

/** Every known code (lowercase) with its minor-unit exponent, for pages that format amounts (the dashboard). */
export const CURRENCY_EXPONENTS: Readonly<Record<string, number>> = Object.fromEntries(EXPONENTS);

/** Every known code, lowercase, sorted. */
export const CURRENCY_CODES: readonly string[] = [...EXPONENTS.keys()].sort();

/** Whether `code` (lowercase, as the API takes it) is an ISO 4217 currency Billify bills in. */
export function isKnownCurrency(code: string): boolean {
  return EXPONENTS.has(code);
}

/**
 * The number of decimal places of the currency's minor unit: `usd` 2, `jpy` 0, `kwd` 3.
 * Case-insensitive. An unknown code (none can be stored: plans validate theirs) counts as 2.
 */
export function currencyExponent(code: string): number {
  return EXPONENTS.get(code.toLowerCase()) ?? 2;
}

/**
 * An amount in minor units as a decimal string, exactly (no floating point):
 * `minorToDecimal(-2050, "usd")` → `"-20.50"`, `minorToDecimal(2000, "jpy")` → `"2000"`.
 */
export function minorToDecimal(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`amount must be a safe integer of minor units; got ${minor}`);
  const exponent = currencyExponent(currency);
  const digits = Math.abs(minor)
    .toString()
    .padStart(exponent + 1, "0");
  const sign = minor < 0 ? "-" : "";
  if (exponent === 0) return sign + digits;
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/**
 * An amount for people, in the currency's own number of decimals:
 * `formatAmount(2000, "usd")` → `"$20.00"`, `formatAmount(2000, "jpy")` → `"¥2,000"`,
 * `formatAmount(1500, "kwd")` → `"KWD 1.500"`. `locale` defaults to `en-US`.
 */
export function formatAmount(minor: number, currency: string, locale = "en-US"): string {
  const exponent = currencyExponent(currency);
  const format = new Intl.NumberFormat(locale, {
    style: "currency",
    currency: currency.toUpperCase(),
    minimumFractionDigits: exponent,
    maximumFractionDigits: exponent,
  });
  // A decimal string keeps the value exact; Intl formats string numerals without rounding through a float.
  return format.format(minorToDecimal(minor, currency) as `${number}`);
}
