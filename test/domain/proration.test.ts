import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { oneIntervalBefore } from "../../src/domain/billing-period";
import type { PricedItem } from "../../src/domain/proration";
import {
  partialPeriodLine,
  prorationCharge,
  prorationCredit,
  subscriptionLine,
  unusedFraction,
} from "../../src/domain/proration";
import { parseIso } from "../../src/domain/time";

const at = (iso: string): number => {
  const instant = parseIso(iso);
  if (instant === null) throw new Error(`bad test timestamp ${iso}`);
  return instant;
};
const item = (planName: string, amount: number, quantity = 1): PricedItem => ({
  planId: `plan_${planName.toLowerCase()}`,
  planName,
  amount,
  quantity,
});
const DAY = 86_400;

describe("proration on a plan change", () => {
  // A 30-day period: April 2026.
  const april = { start: at("2026-04-01T00:00:00Z"), end: at("2026-05-01T00:00:00Z") };
  const midApril = at("2026-04-16T00:00:00Z");

  it("credits half of 1000 and charges half of 2000 when upgrading at exactly mid-period", () => {
    expect(april.end - april.start).toBe(30 * DAY);
    const credit = prorationCredit(item("Basic", 1000), april, midApril);
    const charge = prorationCharge(item("Pro", 2000), april, midApril);
    expect(credit).toEqual({
      type: "proration",
      description: "Unused time on Basic after 2026-04-16",
      amount: -500,
      quantity: 1,
      plan: "plan_basic",
      periodStart: midApril,
      periodEnd: april.end,
    });
    expect(charge).toEqual({
      type: "proration",
      description: "Remaining time on Pro after 2026-04-16",
      amount: 1000,
      quantity: 1,
      plan: "plan_pro",
      periodStart: midApril,
      periodEnd: april.end,
    });
  });

  it("prorates to the second for an odd-second change in a 31-day period", () => {
    const january = { start: at("2026-01-01T00:00:00Z"), end: at("2026-02-01T00:00:00Z") };
    const t = january.start + 1_234_567; // 2026-01-15T06:56:07Z
    // f = (2_678_400 − 1_234_567) / 2_678_400 = 1_443_833 / 2_678_400
    // credit: 1999 × 3 × 1_443_833 = 8_658_666_501; ÷ 2_678_400 = 3232 rem 2_077_701 (> 1_339_200) → 3233
    // charge: 4999 × 5 × 1_443_833 = 36_088_605_835; ÷ 2_678_400 = 13_473 rem 2_522_635 (> 1_339_200) → 13_474
    expect(unusedFraction(january, t)).toEqual({ numerator: 1_443_833, denominator: 2_678_400 });
    const credit = prorationCredit(item("Team", 1999, 3), january, t);
    const charge = prorationCharge(item("Business", 4999, 5), january, t);
    expect(credit.amount).toBe(-3233);
    expect(credit.quantity).toBe(3);
    expect(credit.description).toBe("Unused time on Team after 2026-01-15");
    expect(charge.amount).toBe(13_474);
    expect(charge.quantity).toBe(5);
    expect(charge.description).toBe("Remaining time on Business after 2026-01-15");
  });

  it("credits the whole period at its start and nothing at its end", () => {
    expect(prorationCredit(item("Basic", 1000, 2), april, april.start).amount).toBe(-2000);
    expect(prorationCharge(item("Pro", 2000, 2), april, april.start).amount).toBe(4000);
    expect(prorationCharge(item("Pro", 2000), april, april.end).amount).toBe(0);
    expect(prorationCredit(item("Basic", 1000), april, april.end).amount).toBe(0);
  });

  it("writes a zero credit as 0, not -0, for a free plan", () => {
    const credit = prorationCredit(item("Free", 0), april, midApril);
    expect(Object.is(credit.amount, 0)).toBe(true);
    expect(JSON.stringify(credit.amount)).toBe("0");
  });

  it("rounds a half-unit credit away from zero", () => {
    // 1 × 15 days / 30 days = 0.5 → credit −1, charge +1
    expect(prorationCredit(item("Tiny", 1), april, midApril).amount).toBe(-1);
    expect(prorationCharge(item("Tiny", 1), april, midApril).amount).toBe(1);
  });

  it("refuses a change time outside the period", () => {
    expect(() => unusedFraction(april, april.start - 1)).toThrow("change time outside the period");
    expect(() => prorationCredit(item("Basic", 1000), april, april.end + 1)).toThrow(RangeError);
  });
});

describe("subscription lines", () => {
  it("charges amount × quantity for a full period, described with its dates", () => {
    const period = { start: at("2026-01-31T10:00:00Z"), end: at("2026-02-28T10:00:00Z") };
    expect(subscriptionLine(item("Pro", 2500, 4), period)).toEqual({
      type: "subscription",
      description: "4 × Pro (2026-01-31 – 2026-02-28)",
      amount: 10_000,
      quantity: 4,
      plan: "plan_pro",
      periodStart: period.start,
      periodEnd: period.end,
    });
  });

  it("charges a short first period by its share of the previous full interval (rule 6)", () => {
    const start = at("2026-01-10T00:00:00Z");
    const anchor = at("2026-02-01T00:00:00Z");
    const previous = oneIntervalBefore(anchor, { interval: "month", intervalCount: 1 });
    expect(previous).toBe(at("2026-01-01T00:00:00Z"));
    // round(3000 × 22 days / 31 days) = round(2129.03) = 2129
    expect(partialPeriodLine(item("Pro", 3000), { start, end: anchor }, previous)).toEqual({
      type: "subscription",
      description: "1 × Pro (2026-01-10 – 2026-02-01)",
      amount: 2129,
      quantity: 1,
      plan: "plan_pro",
      periodStart: start,
      periodEnd: anchor,
    });
  });

  it("prorates a short first period to the second", () => {
    const start = at("2026-03-15T12:34:56Z");
    const anchor = at("2026-04-01T00:00:00Z");
    const previous = oneIntervalBefore(anchor, { interval: "month", intervalCount: 1 });
    // (anchor − start) = 16 d 11:25:04 = 1_423_504 s of 2_678_400 s (31 days of March)
    // 1999 × 3 × 1_423_504 = 8_536_753_488; ÷ 2_678_400 = 3187 rem 692_688 (< half) → 3187
    expect(anchor - start).toBe(1_423_504);
    expect(partialPeriodLine(item("Team", 1999, 3), { start, end: anchor }, previous).amount).toBe(3187);
  });
});

// ---- property: a sequence of changes within one period ----

/** Independent rounding: num/den, halves away from zero, by floor and remainder. */
function roundOracle(num: bigint, den: bigint): bigint {
  const abs = num < 0n ? -num : num;
  const q = abs / den + (2n * (abs % den) >= den ? 1n : 0n);
  return num < 0n ? -q : q;
}

const itemArb = fc.record({
  amount: fc.integer({ min: 0, max: 1_000_000 }),
  quantity: fc.integer({ min: 1, max: 1_000 }),
});
const scenarioArb = fc
  .record({
    start: fc.integer({ min: 0, max: 7_000_000_000 }),
    length: fc.integer({ min: 1, max: 94_694_400 }),
    initial: itemArb,
    changes: fc.array(
      fc.record({ offset: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), to: itemArb }),
      { maxLength: 8 },
    ),
  })
  .map(({ start, length, initial, changes }) => {
    const times = [...new Set(changes.map((c) => start + Math.floor(c.offset * length)))].sort((a, b) => a - b);
    return {
      period: { start, end: start + length },
      initial,
      changes: times.map((t, i) => ({ t, to: changes[i]!.to })),
    };
  });

describe("proration over any sequence of changes in one period", () => {
  it("bills the period charge plus, per change, −round(old × f) + round(new × f), each credit within what was charged", () => {
    fc.assert(
      fc.property(scenarioArb, ({ period, initial, changes }) => {
        const length = BigInt(period.end - period.start);
        let current = { planId: "plan_0", planName: "Plan 0", ...initial };
        let billed = subscriptionLine(current, period).amount;
        let oracle = BigInt(initial.amount * initial.quantity);
        // Σ amount_j × seconds_j over segments: the exact time-weighted cost, × length.
        let exactTimesLength = 0n;
        let segmentStart = period.start;
        changes.forEach(({ t, to }, i) => {
          const next = { planId: `plan_${i + 1}`, planName: `Plan ${i + 1}`, ...to };
          const credit = prorationCredit(current, period, t);
          const charge = prorationCharge(next, period, t);
          expect(credit.amount).toBeLessThanOrEqual(0);
          expect(-credit.amount).toBeLessThanOrEqual(current.amount * current.quantity);
          expect(charge.amount).toBeLessThanOrEqual(next.amount * next.quantity);
          billed += credit.amount + charge.amount;
          const remaining = BigInt(period.end - t);
          oracle += -roundOracle(BigInt(current.amount * current.quantity) * remaining, length);
          oracle += roundOracle(BigInt(next.amount * next.quantity) * remaining, length);
          exactTimesLength += BigInt(current.amount * current.quantity) * BigInt(t - segmentStart);
          segmentStart = t;
          current = next;
        });
        exactTimesLength += BigInt(current.amount * current.quantity) * BigInt(period.end - segmentStart);
        expect(BigInt(billed)).toBe(oracle);
        // Each line rounds once, by at most ½: the total is within (number of changes) of the exact cost.
        const error = BigInt(billed) * length - exactTimesLength;
        const bound = BigInt(changes.length) * length;
        expect(error <= bound && -error <= bound).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
