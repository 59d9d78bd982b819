import { describe, expect, it } from "vitest";
import {
  CURRENCY_CODES,
  currencyExponent,
  formatAmount,
  isKnownCurrency,
  minorToDecimal,
} from "../../src/contract/currencies";

describe("ISO 4217 currencies", () => {
  it("knows the codes in circulation, lowercase, and no funds or metals", () => {
    for (const code of ["usd", "eur", "gbp", "jpy", "chf", "kwd", "clf", "inr", "xof"])
      expect(isKnownCurrency(code), code).toBe(true);
    for (const code of ["USD", "xyz", "xau", "xts", "hrk", "", "us"]) expect(isKnownCurrency(code), code).toBe(false);
    expect(CURRENCY_CODES.length).toBeGreaterThan(150);
    expect(new Set(CURRENCY_CODES).size).toBe(CURRENCY_CODES.length);
  });

  it("gives each currency its minor-unit exponent", () => {
    expect([
      currencyExponent("usd"),
      currencyExponent("jpy"),
      currencyExponent("krw"),
      currencyExponent("kwd"),
      currencyExponent("bhd"),
      currencyExponent("clf"),
    ]).toEqual([2, 0, 0, 3, 3, 4]);
    expect(currencyExponent("JPY")).toBe(0);
  });

  it("writes minor units as an exact decimal", () => {
    expect(minorToDecimal(2000, "usd")).toBe("20.00");
    expect(minorToDecimal(-2050, "usd")).toBe("-20.50");
    expect(minorToDecimal(5, "usd")).toBe("0.05");
    expect(minorToDecimal(2000, "jpy")).toBe("2000");
    expect(minorToDecimal(1500, "kwd")).toBe("1.500");
    expect(minorToDecimal(9_007_199_254_740_991, "usd")).toBe("90071992547409.91");
    expect(() => minorToDecimal(1.5, "usd")).toThrow(RangeError);
  });

  it("formats amounts for people in the currency's own decimals", () => {
    expect(formatAmount(2000, "usd")).toBe("$20.00");
    expect(formatAmount(2000, "jpy")).toBe("¥2,000");
    expect(formatAmount(-1962, "usd")).toBe("-$19.62");
    expect(formatAmount(123456, "eur", "de-DE")).toBe("1.234,56\u00a0€");
    expect(formatAmount(1500, "kwd")).toBe("KWD\u00a01.500");
  });
});
