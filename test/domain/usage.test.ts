import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AggregatedEvent } from "../../src/domain/usage/aggregate";
import { addEvent, aggregateAll, EMPTY_AGGREGATE, quantityOf } from "../../src/domain/usage/aggregate";
import { ceilDivide, formatDecimal, ONE, parseDecimal } from "../../src/domain/usage/decimal";
import type { MeteredCharge, WindowPlan } from "../../src/domain/usage/lines";
import { lateUsageLines, priceWindow, usageLines } from "../../src/domain/usage/lines";
import type { ChargePrice, Tier } from "../../src/domain/usage/pricing";
import { exactPrice, priceQuantity, tiersProblem } from "../../src/domain/usage/pricing";

const d = (text: string): bigint => {
  const value = parseDecimal(text);
  if (value === null) throw new Error(`bad decimal ${text}`);
  return value;
};
const tier = (upTo: string | null, unit: string, flat = 0): Tier => ({
  upTo: upTo === null ? null : d(upTo),
  unitAmount: d(unit),
  flatAmount: flat,
});
// 0–1000 units at 2 minor units, 1001–5000 at 1.5, above at 1, plus flat fees.
const TIERS = [tier("1000", "2", 100), tier("5000", "1.5", 50), tier(null, "1")];

describe("decimal usage values", () => {
  it("parses strings and JSON numbers exactly, with at most 12 fractional and 15 integer digits", () => {
    expect(parseDecimal("0.04")).toBe(4n * 10n ** 10n);
    expect(parseDecimal("123456789012345.123456789012")).toBe(123456789012345123456789012n);
    expect(parseDecimal(0.1)).toBe(10n ** 11n);
    expect(parseDecimal(1e-7)).toBe(10n ** 5n);
    expect(parseDecimal(250)).toBe(250n * ONE);
    expect(parseDecimal("0.0000000000001")).toBeNull();
    expect(parseDecimal("1234567890123456")).toBeNull();
    expect(parseDecimal("-1")).toBeNull();
    expect(parseDecimal(-1)).toBeNull();
    expect(parseDecimal("1e3")).toBeNull();
    expect(parseDecimal("1.")).toBeNull();
    expect(parseDecimal(" 1")).toBeNull();
    expect(parseDecimal(Number.NaN)).toBeNull();
    expect(parseDecimal(true)).toBeNull();
  });

  it("formats the shortest exact text", () => {
    expect(formatDecimal(0n)).toBe("0");
    expect(formatDecimal(d("12.500"))).toBe("12.5");
    expect(formatDecimal(d("0.000000000001"))).toBe("0.000000000001");
    expect(formatDecimal(-d("1.5"))).toBe("-1.5");
  });

  it("round-trips every decimal text it accepts", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 27n - 1n }), (value) => {
        expect(parseDecimal(formatDecimal(value))).toBe(value);
      }),
    );
  });

  it("divides up for packages", () => {
    expect(ceilDivide(d("0"), d("10"))).toBe(0n);
    expect(ceilDivide(d("10"), d("10"))).toBe(1n);
    expect(ceilDivide(d("10.000000000001"), d("10"))).toBe(2n);
  });
});

describe("pricing a usage quantity (rule 14d)", () => {
  it("standard: quantity × unit, rounded once, halves away from zero", () => {
    const price: ChargePrice = { model: "standard", unitAmount: d("0.04") };
    expect(priceQuantity(price, d("1234"))).toBe(49); // 49.36
    expect(priceQuantity(price, d("12.5"))).toBe(1); // 0.5 → 1
    expect(priceQuantity(price, d("12.49"))).toBe(0); // 0.4996
    expect(priceQuantity(price, d("0"))).toBe(0);
    // 3 × 0.333333333333 = 0.999999999999: one rounding at the end gives 1, never 0 + 0 + 0.
    expect(priceQuantity({ model: "standard", unitAmount: d("0.333333333333") }, d("3"))).toBe(1);
  });

  it("graduated: each tier prices its own units, plus its flat fee once any unit falls in it", () => {
    const price: ChargePrice = { model: "graduated", tiers: TIERS };
    expect(priceQuantity(price, d("0"))).toBe(0);
    expect(priceQuantity(price, d("1"))).toBe(102);
    expect(priceQuantity(price, d("1000"))).toBe(2100);
    expect(priceQuantity(price, d("1001"))).toBe(2100 + 50 + 2); // 1.5 rounds up
    expect(priceQuantity(price, d("6000"))).toBe(2000 + 100 + 6000 + 50 + 1000);
    expect(priceQuantity(price, d("0.5"))).toBe(101);
  });

  it("volume: the tier holding the quantity prices every unit; 0 costs 0", () => {
    const price: ChargePrice = { model: "volume", tiers: TIERS };
    expect(priceQuantity(price, d("0"))).toBe(0);
    expect(priceQuantity(price, d("1000"))).toBe(2100);
    expect(priceQuantity(price, d("1001"))).toBe(1552); // 1001 × 1.5 + 50 = 1551.5
    expect(priceQuantity(price, d("6000"))).toBe(6000);
  });

  it("package: ceil(q / size) × package amount", () => {
    const price: ChargePrice = { model: "package", packageSize: d("100"), packageAmount: 500 };
    expect(priceQuantity(price, d("0"))).toBe(0);
    expect(priceQuantity(price, d("1"))).toBe(500);
    expect(priceQuantity(price, d("100"))).toBe(500);
    expect(priceQuantity(price, d("100.5"))).toBe(1000);
  });

  it("gives the worked numbers of docs/billing-rules.md rule 14d", () => {
    const tiers = [tier("100", "2"), tier(null, "0.5", 100)];
    expect(priceQuantity({ model: "graduated", tiers }, d("130.5"))).toBe(315);
    expect(priceQuantity({ model: "volume", tiers }, d("130.5"))).toBe(165);
    expect(priceQuantity({ model: "package", packageSize: d("10"), packageAmount: 50 }, d("11"))).toBe(100);
  });

  it("refuses tiers that do not ascend or do not end unbounded", () => {
    expect(tiersProblem(TIERS)).toBeNull();
    expect(tiersProblem([])).toMatch(/at least one/);
    expect(tiersProblem([tier("10", "1")])).toMatch(/last/);
    expect(tiersProblem([tier("10", "1"), tier("5", "1"), tier(null, "1")])).toMatch(/ascend/);
    expect(tiersProblem([tier(null, "1"), tier(null, "1")])).toMatch(/only the last/);
  });

  const quantity = fc.bigInt({ min: 0n, max: 10_000n * ONE });
  const tiers = fc
    .uniqueArray(fc.integer({ min: 1, max: 8000 }), { minLength: 0, maxLength: 4 })
    .chain((bounds) =>
      fc.tuple(
        fc.constant([...bounds].sort((a, b) => a - b)),
        fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: bounds.length + 1, maxLength: bounds.length + 1 }),
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: bounds.length + 1, maxLength: bounds.length + 1 }),
      ),
    )
    .map(([bounds, units, flats]) =>
      units.map(
        (unit, i): Tier => ({
          upTo: i < bounds.length ? BigInt(bounds[i]!) * ONE : null,
          unitAmount: (BigInt(unit) * ONE) / 1000n,
          flatAmount: flats[i]!,
        }),
      ),
    );

  it("graduated equals the sum of its tiers priced apart", () => {
    fc.assert(
      fc.property(tiers, quantity, (ts, q) => {
        let lower = 0n;
        let sum = 0n;
        for (const t of ts) {
          const upper = t.upTo === null || t.upTo > q ? q : t.upTo;
          if (upper > lower)
            sum +=
              exactPrice({ model: "standard", unitAmount: t.unitAmount }, upper - lower) +
              BigInt(t.flatAmount) * ONE * ONE;
          if (t.upTo === null || t.upTo >= q) break;
          lower = t.upTo;
        }
        expect(exactPrice({ model: "graduated", tiers: ts }, q)).toBe(sum);
      }),
    );
  });

  it("graduated never decreases as usage grows", () => {
    fc.assert(
      fc.property(tiers, quantity, quantity, (ts, a, b) => {
        const [lo, hi] = a < b ? [a, b] : [b, a];
        expect(priceQuantity({ model: "graduated", tiers: ts }, lo)).toBeLessThanOrEqual(
          priceQuantity({ model: "graduated", tiers: ts }, hi),
        );
      }),
    );
  });

  it("volume is monotone within a tier", () => {
    fc.assert(
      fc.property(tiers, quantity, quantity, (ts, a, b) => {
        const [lo, hi] = a < b ? [a, b] : [b, a];
        const tierOf = (q: bigint) => ts.findIndex((t) => t.upTo === null || q <= t.upTo);
        fc.pre(lo > 0n && tierOf(lo) === tierOf(hi));
        expect(priceQuantity({ model: "volume", tiers: ts }, lo)).toBeLessThanOrEqual(
          priceQuantity({ model: "volume", tiers: ts }, hi),
        );
      }),
    );
  });

  it("package equals ceil(q / size) × amount", () => {
    fc.assert(
      fc.property(
        quantity,
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 0, max: 10_000 }),
        (q, size, amount) => {
          const packages = q === 0n ? 0n : (q + BigInt(size) * ONE - 1n) / (BigInt(size) * ONE);
          expect(priceQuantity({ model: "package", packageSize: BigInt(size) * ONE, packageAmount: amount }, q)).toBe(
            Number(packages) * amount,
          );
        },
      ),
    );
  });
});

describe("aggregating a window's events (rule 14c)", () => {
  const ev = (
    value: string | null,
    timestamp: number,
    seq: number,
    key = value ?? "",
  ): AggregatedEvent & { key: string } => ({
    value: value === null ? null : d(value),
    timestamp,
    seq,
    key,
  });
  const events = [ev("2.5", 100, 1), ev("7", 300, 2), ev("1", 300, 3), ev("2.5", 50, 4)];

  it("sums, counts, takes the max, the last by timestamp (later-accepted on a tie) and counts distinct values", () => {
    const aggregate = aggregateAll(events);
    expect(formatDecimal(quantityOf(aggregate, "sum"))).toBe("13");
    expect(formatDecimal(quantityOf(aggregate, "count"))).toBe("4");
    expect(formatDecimal(quantityOf(aggregate, "max"))).toBe("7");
    expect(formatDecimal(quantityOf(aggregate, "last"))).toBe("1");
    expect(formatDecimal(quantityOf(aggregate, "unique_count"))).toBe("3");
  });

  it("is 0 for every aggregation with no event", () => {
    for (const a of ["sum", "count", "max", "last", "unique_count"] as const)
      expect(quantityOf(EMPTY_AGGREGATE, a)).toBe(0n);
  });

  it("gives the same result in any arrival order for sum, count, max and unique_count", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 100 })), { maxLength: 40 }),
        (raw) => {
          const list = raw.map(([v, t], i) => ev(String(v / 100), t, i + 1));
          const shuffled = [...list].reverse();
          const a = aggregateAll(list);
          const b = aggregateAll(shuffled);
          expect([a.sum, a.count, a.max, a.distinct]).toEqual([b.sum, b.count, b.max, b.distinct]);
        },
      ),
    );
  });

  it("updates incrementally: one event at a time equals the whole list", () => {
    let running = EMPTY_AGGREGATE;
    const seen = new Set<string>();
    for (const e of events) {
      running = addEvent(running, e, !seen.has(e.key));
      seen.add(e.key);
    }
    expect(running).toEqual(aggregateAll(events));
  });
});

describe("usage lines for a window (rules 14e, 14g)", () => {
  const charge = (
    index: number,
    price: ChargePrice,
    aggregation: MeteredCharge["aggregation"] = "sum",
  ): MeteredCharge => ({
    index,
    meter: "mtr_api",
    eventName: "api_call",
    meterName: "API calls",
    aggregation,
    price,
  });
  const plan: WindowPlan = {
    planId: "metered",
    charges: [charge(0, { model: "standard", unitAmount: d("0.04") }), charge(1, { model: "graduated", tiers: TIERS })],
  };
  const window = { start: 1_767_225_600, end: 1_769_904_000 }; // 2026-01-01 → 2026-02-01

  it("makes one line per charge with the period, the meter, the charge index and the quantity, even at 0", () => {
    const none = usageLines(plan, window, priceWindow(plan, new Map()));
    expect(none.map((l) => [l.amount, l.usage])).toEqual([
      [0, { meter: "mtr_api", charge: 0, quantity: "0" }],
      [0, { meter: "mtr_api", charge: 1, quantity: "0" }],
    ]);
    const aggregate = aggregateAll([ev2("1500", 1), ev2("0.5", 2)]);
    const lines = usageLines(plan, window, priceWindow(plan, new Map([["api_call", aggregate]])));
    expect(lines).toEqual([
      expect.objectContaining({
        type: "usage",
        amount: 60,
        periodStart: window.start,
        periodEnd: window.end,
        plan: "metered",
      }),
      expect.objectContaining({ type: "usage", amount: 2100 + 50 + 751 }),
    ]);
    expect(lines[0]!.description).toBe("API calls: 1500.5 (2026-01-01 – 2026-02-01)");
    expect(lines[1]!.usage).toEqual({ meter: "mtr_api", charge: 1, quantity: "1500.5" });
  });

  it("bills late usage as the window's price now minus what was billed, per charge that moved", () => {
    const billed = priceWindow(plan, new Map([["api_call", aggregateAll([ev2("1000", 1)])]])).map((p) => p.amount);
    expect(billed).toEqual([40, 2100]);
    const now = priceWindow(plan, new Map([["api_call", aggregateAll([ev2("1000", 1), ev2("10", 2)])]]));
    const late = lateUsageLines(plan, window, now, billed);
    // standard: 40.4 rounds to the 40 billed, so no line; graduated: 2100 + 50 + 15 = 2165, 65 more.
    expect(late.map((l) => [l.amount, l.usage?.charge, l.usage?.quantity])).toEqual([[65, 1, "1010"]]);
    expect(late[0]!.description).toBe("API calls: 1010 (2026-01-01 – 2026-02-01) (late usage)");
  });
});

function ev2(value: string, seq: number): AggregatedEvent & { key: string } {
  return { value: d(value), timestamp: seq, seq, key: value };
}
