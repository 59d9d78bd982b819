import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { roundHalfAwayFromZero, scaleAmount, sumAmounts } from "../../src/domain/money";

/** Independent oracle: rounds num/den (den > 0) half away from zero, via floor and remainder. */
function roundOracle(num: bigint, den: bigint): bigint {
  const abs = num < 0n ? -num : num;
  const q = abs / den;
  const r = abs % den;
  const rounded = 2n * r >= den ? q + 1n : q;
  return num < 0n ? -rounded : rounded;
}

describe("rounding to the minor unit, halves away from zero", () => {
  it("rounds halves away from zero", () => {
    expect(roundHalfAwayFromZero(1n, 2n)).toBe(1); // 0.5
    expect(roundHalfAwayFromZero(-1n, 2n)).toBe(-1); // -0.5
    expect(roundHalfAwayFromZero(3n, 2n)).toBe(2); // 1.5
    expect(roundHalfAwayFromZero(5n, 2n)).toBe(3); // 2.5
    expect(roundHalfAwayFromZero(-5n, 2n)).toBe(-3); // -2.5
    expect(roundHalfAwayFromZero(-3n, 2n)).toBe(-2); // -1.5
  });

  it("rounds below a half toward zero and above a half away from it", () => {
    expect(roundHalfAwayFromZero(249n, 100n)).toBe(2); // 2.49
    expect(roundHalfAwayFromZero(-249n, 100n)).toBe(-2);
    expect(roundHalfAwayFromZero(251n, 100n)).toBe(3); // 2.51
    expect(roundHalfAwayFromZero(499_999n, 1_000_000n)).toBe(0);
    expect(roundHalfAwayFromZero(500_000n, 1_000_000n)).toBe(1);
    expect(roundHalfAwayFromZero(1n, 3n)).toBe(0);
    expect(roundHalfAwayFromZero(2n, 3n)).toBe(1);
    expect(roundHalfAwayFromZero(-2n, 3n)).toBe(-1);
  });

  it("leaves whole numbers and zero unchanged", () => {
    expect(roundHalfAwayFromZero(0n, 7n)).toBe(0);
    expect(Object.is(roundHalfAwayFromZero(0n, 7n), -0)).toBe(false);
    expect(roundHalfAwayFromZero(42n, 1n)).toBe(42);
    expect(roundHalfAwayFromZero(-84n, 2n)).toBe(-42);
  });

  it("refuses a zero or negative denominator", () => {
    expect(() => roundHalfAwayFromZero(1n, 0n)).toThrow(RangeError);
    expect(() => roundHalfAwayFromZero(1n, -2n)).toThrow("denominator must be positive");
  });

  it("is exact for products far beyond 2^53", () => {
    // 99_999_999 × 10_000 over 1095 of 1096 days (94_608_000 of 94_694_400 s): exactly 999_087_581_250.
    const amount = 99_999_999 * 10_000;
    expect(Number.isSafeInteger(amount)).toBe(true);
    const num = BigInt(amount) * 94_608_000n;
    expect(num).toBe(94_607_999_053_920_000_000n);
    expect(num > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(roundHalfAwayFromZero(num, 94_694_400n)).toBe(999_087_581_250);
    expect(scaleAmount(amount, 94_608_000, 94_694_400)).toBe(999_087_581_250);
    expect(scaleAmount(-amount, 94_608_000, 94_694_400)).toBe(-999_087_581_250);
    // 94_606_368 s: the remainder is exactly half of 94_694_400, so the half rounds up to …863.
    expect((BigInt(amount) * 94_606_368n) % 94_694_400n).toBe(47_347_200n);
    expect(scaleAmount(amount, 94_606_368, 94_694_400)).toBe(999_070_346_863);
    // Floats lose that half: the product is not representable exactly.
    expect(Math.round((amount * 94_606_368) / 94_694_400)).toBe(999_070_346_862);
  });

  it("differs from the exact rational by at most one half", () => {
    // num = q·den + r with |q| < 2^52, so the rounded result is a safe integer.
    const fraction = fc
      .record({
        q: fc.bigInt({ min: -(2n ** 52n), max: 2n ** 52n }),
        den: fc.bigInt({ min: 1n, max: 10n ** 15n }),
        r: fc.bigInt({ min: 0n, max: 10n ** 15n }),
      })
      .map(({ q, den, r }) => ({ num: q * den + (r % den), den }));
    fc.assert(
      fc.property(fraction, ({ num, den }) => {
        const r = BigInt(roundHalfAwayFromZero(num, den));
        // |r − num/den| ≤ 1/2  ⇔  |2(r·den − num)| ≤ den
        const twiceError = 2n * (r * den - num);
        expect(twiceError <= den && -twiceError <= den).toBe(true);
      }),
    );
  });

  it("matches the floor-and-remainder oracle on safe-integer results", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }),
        fc.bigInt({ min: 1n, max: 10n ** 6n }),
        (num, den) => {
          expect(roundHalfAwayFromZero(num, den)).toBe(Number(roundOracle(num, den)));
        },
      ),
    );
  });

  it("is symmetric: rounding −n/d is minus rounding n/d", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.bigInt({ min: 1n, max: 10n ** 9n }), (num, den) => {
        // `|| 0`: negating a zero result gives −0, but the function itself returns +0.
        expect(roundHalfAwayFromZero(-num, den)).toBe(-roundHalfAwayFromZero(num, den) || 0);
      }),
    );
  });
});

describe("scaling an amount by a fraction of a period", () => {
  it("scales by numerator over denominator with one rounding", () => {
    expect(scaleAmount(1000, 15, 30)).toBe(500);
    expect(scaleAmount(1000, 1, 3)).toBe(333);
    expect(scaleAmount(1000, 2, 3)).toBe(667);
    expect(scaleAmount(1, 1, 2)).toBe(1);
    expect(scaleAmount(-1, 1, 2)).toBe(-1);
    expect(scaleAmount(3000, 22 * 86_400, 31 * 86_400)).toBe(2129);
  });

  it("charges the whole amount for the whole period and nothing for none of it", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 12 }), fc.integer({ min: 1, max: 94_694_400 }), (amount, length) => {
        expect(scaleAmount(amount, length, length)).toBe(amount);
        expect(scaleAmount(amount, 0, length)).toBe(0);
      }),
    );
  });
});

describe("summing line amounts", () => {
  it("adds positive and negative amounts exactly", () => {
    expect(sumAmounts([])).toBe(0);
    expect(sumAmounts([1000, -500, 1000])).toBe(1500);
    expect(sumAmounts([-2500, 1000])).toBe(-1500);
  });

  it("throws rather than lose precision beyond 2^53", () => {
    expect(sumAmounts([Number.MAX_SAFE_INTEGER - 1, 1])).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => sumAmounts([Number.MAX_SAFE_INTEGER, 1])).toThrow("amount overflow");
    expect(() => sumAmounts([-Number.MAX_SAFE_INTEGER, -1])).toThrow(RangeError);
  });
});
