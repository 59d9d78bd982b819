import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Cadence, Interval } from "../../src/domain/billing-period";
import {
  isCadenceAllowed,
  oneIntervalAfter,
  oneIntervalBefore,
  periodAt,
  periodIndexAt,
  periodStart,
} from "../../src/domain/billing-period";
import { parseIso, toIso } from "../../src/domain/time";

const at = (iso: string): number => {
  const instant = parseIso(iso);
  if (instant === null) throw new Error(`bad test timestamp ${iso}`);
  return instant;
};
const monthly: Cadence = { interval: "month", intervalCount: 1 };
const yearly: Cadence = { interval: "year", intervalCount: 1 };
const startsIso = (anchor: number, cadence: Cadence, ks: number[]) =>
  ks.map((k) => toIso(periodStart(anchor, cadence, k)));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("billing periods", () => {
  it("keeps a Jan 31 10:00 anchor's day, clamped to each month's end, for a full year", () => {
    expect(startsIso(at("2026-01-31T10:00:00Z"), monthly, range(0, 12))).toEqual([
      "2026-01-31T10:00:00Z",
      "2026-02-28T10:00:00Z",
      "2026-03-31T10:00:00Z",
      "2026-04-30T10:00:00Z",
      "2026-05-31T10:00:00Z",
      "2026-06-30T10:00:00Z",
      "2026-07-31T10:00:00Z",
      "2026-08-31T10:00:00Z",
      "2026-09-30T10:00:00Z",
      "2026-10-31T10:00:00Z",
      "2026-11-30T10:00:00Z",
      "2026-12-31T10:00:00Z",
      "2027-01-31T10:00:00Z",
    ]);
  });

  it("clamps a Jan 31 anchor to Feb 29 in a leap year", () => {
    expect(startsIso(at("2028-01-31T00:00:00Z"), monthly, [1, 2])).toEqual([
      "2028-02-29T00:00:00Z",
      "2028-03-31T00:00:00Z",
    ]);
  });

  it("clamps a yearly Feb 29 anchor to Feb 28 and returns to Feb 29 in the next leap year", () => {
    expect(startsIso(at("2028-02-29T08:30:15Z"), yearly, range(1, 4))).toEqual([
      "2029-02-28T08:30:15Z",
      "2030-02-28T08:30:15Z",
      "2031-02-28T08:30:15Z",
      "2032-02-29T08:30:15Z",
    ]);
  });

  it("runs a 3-month cadence from the anchor, never from the previous period end", () => {
    expect(startsIso(at("2026-01-31T10:00:00Z"), { interval: "month", intervalCount: 3 }, range(0, 4))).toEqual([
      "2026-01-31T10:00:00Z",
      "2026-04-30T10:00:00Z",
      "2026-07-31T10:00:00Z",
      "2026-10-31T10:00:00Z",
      "2027-01-31T10:00:00Z",
    ]);
    expect(startsIso(at("2025-11-30T00:00:00Z"), { interval: "month", intervalCount: 3 }, [1, 2])).toEqual([
      "2026-02-28T00:00:00Z",
      "2026-05-30T00:00:00Z",
    ]);
  });

  it("makes a week exactly 7 days and a day exactly 24 hours", () => {
    const anchor = at("2026-03-05T17:45:00Z");
    expect(periodAt(anchor, { interval: "week", intervalCount: 1 }, 0)).toEqual({
      start: anchor,
      end: anchor + 604_800,
    });
    expect(periodAt(anchor, { interval: "week", intervalCount: 2 }, 3)).toEqual({
      start: anchor + 6 * 604_800,
      end: anchor + 8 * 604_800,
    });
    expect(periodAt(anchor, { interval: "day", intervalCount: 1 }, 10)).toEqual({
      start: anchor + 864_000,
      end: anchor + 950_400,
    });
    expect(startsIso(anchor, { interval: "week", intervalCount: 1 }, [1, 4])).toEqual([
      "2026-03-12T17:45:00Z",
      "2026-04-02T17:45:00Z",
    ]);
  });

  it("gives the period before the anchor by the same calendar rule", () => {
    expect(toIso(oneIntervalBefore(at("2026-03-31T10:00:00Z"), monthly))).toBe("2026-02-28T10:00:00Z");
    expect(toIso(oneIntervalBefore(at("2028-03-31T10:00:00Z"), monthly))).toBe("2028-02-29T10:00:00Z");
    expect(toIso(oneIntervalBefore(at("2026-01-15T00:00:00Z"), monthly))).toBe("2025-12-15T00:00:00Z");
    expect(toIso(oneIntervalBefore(at("2029-02-28T00:00:00Z"), yearly))).toBe("2028-02-28T00:00:00Z");
    expect(toIso(oneIntervalBefore(at("2026-02-01T00:00:00Z"), { interval: "week", intervalCount: 1 }))).toBe(
      "2026-01-25T00:00:00Z",
    );
    expect(periodAt(at("2026-03-31T10:00:00Z"), monthly, -1)).toEqual({
      start: at("2026-02-28T10:00:00Z"),
      end: at("2026-03-31T10:00:00Z"),
    });
  });

  it("restarts a cycle at t for one interval", () => {
    expect(toIso(oneIntervalAfter(at("2026-01-31T10:00:00Z"), monthly))).toBe("2026-02-28T10:00:00Z");
    expect(toIso(oneIntervalAfter(at("2026-05-10T12:00:00Z"), yearly))).toBe("2027-05-10T12:00:00Z");
    expect(toIso(oneIntervalAfter(at("2026-05-10T12:00:00Z"), { interval: "day", intervalCount: 3 }))).toBe(
      "2026-05-13T12:00:00Z",
    );
  });

  it("finds the period that contains an instant, in agreement with periodStart", () => {
    const anchor = at("2026-01-31T10:00:00Z");
    expect(periodIndexAt(anchor, monthly, anchor)).toBe(0);
    expect(periodIndexAt(anchor, monthly, at("2026-02-28T09:59:59Z"))).toBe(0);
    expect(periodIndexAt(anchor, monthly, at("2026-02-28T10:00:00Z"))).toBe(1);
    expect(periodIndexAt(anchor, monthly, at("2026-12-31T10:00:00Z"))).toBe(11);
    expect(periodIndexAt(anchor, monthly, at("2026-01-31T09:59:59Z"))).toBe(-1);
    expect(periodIndexAt(anchor, monthly, at("2025-12-31T10:00:00Z"))).toBe(-1);
    expect(periodIndexAt(anchor, monthly, at("2025-12-31T09:59:59Z"))).toBe(-2);
    for (const k of range(-24, 120)) {
      expect(periodIndexAt(anchor, monthly, periodStart(anchor, monthly, k))).toBe(k);
      expect(periodIndexAt(anchor, monthly, periodStart(anchor, monthly, k + 1) - 1)).toBe(k);
    }
  });

  it("allows at most three years per interval", () => {
    expect(isCadenceAllowed({ interval: "day", intervalCount: 1095 })).toBe(true);
    expect(isCadenceAllowed({ interval: "day", intervalCount: 1096 })).toBe(false);
    expect(isCadenceAllowed({ interval: "week", intervalCount: 156 })).toBe(true);
    expect(isCadenceAllowed({ interval: "week", intervalCount: 157 })).toBe(false);
    expect(isCadenceAllowed({ interval: "month", intervalCount: 36 })).toBe(true);
    expect(isCadenceAllowed({ interval: "month", intervalCount: 37 })).toBe(false);
    expect(isCadenceAllowed({ interval: "year", intervalCount: 3 })).toBe(true);
    expect(isCadenceAllowed({ interval: "year", intervalCount: 4 })).toBe(false);
    expect(isCadenceAllowed({ interval: "month", intervalCount: 0 })).toBe(false);
    expect(isCadenceAllowed({ interval: "month", intervalCount: 1.5 })).toBe(false);
  });
});

// ---- properties over random anchors 1970..2200, every interval and count, k in -50..500 ----

const MAX_COUNT: Record<Interval, number> = { day: 1095, week: 156, month: 36, year: 3 };
const anchorArb = fc.integer({ min: at("1970-01-01T00:00:00Z"), max: at("2200-12-31T23:59:59Z") });
const cadenceArb = fc
  .constantFrom<Interval>("day", "week", "month", "year")
  .chain((interval) =>
    fc.integer({ min: 1, max: MAX_COUNT[interval] }).map((intervalCount): Cadence => ({ interval, intervalCount })),
  );
const kArb = fc.integer({ min: -50, max: 500 });

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysIn = (y: number, m: number) => [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m]!;
const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** Period k's start written out by hand: calendar fields for month/year, plain seconds for day/week. */
function expectedStartIso(anchor: number, cadence: Cadence, k: number): string {
  const steps = k * cadence.intervalCount;
  if (cadence.interval === "day") return toIso(anchor + steps * 86_400);
  if (cadence.interval === "week") return toIso(anchor + steps * 604_800);
  const a = toIso(anchor); // YYYY-MM-DDTHH:MM:SSZ
  const months =
    Number(a.slice(0, 4)) * 12 + Number(a.slice(5, 7)) - 1 + steps * (cadence.interval === "year" ? 12 : 1);
  const year = Math.floor(months / 12);
  const month = months % 12;
  const day = Math.min(Number(a.slice(8, 10)), daysIn(year, month));
  return `${pad(year, 4)}-${pad(month + 1)}-${pad(day)}${a.slice(10)}`;
}

describe("billing periods, for any anchor and cadence", () => {
  it("are contiguous and strictly increasing: period k ends where period k+1 starts", () => {
    fc.assert(
      fc.property(anchorArb, cadenceArb, kArb, (anchor, cadence, k) => {
        const p = periodAt(anchor, cadence, k);
        const next = periodAt(anchor, cadence, k + 1);
        expect(p.end).toBe(next.start);
        expect(p.start).toBeLessThan(p.end);
        expect(next.start).toBeLessThan(next.end);
        expect(Number.isSafeInteger(p.start)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("never drift: the anchor's day (clamped) and time of day are kept in every period", () => {
    fc.assert(
      fc.property(anchorArb, cadenceArb, kArb, (anchor, cadence, k) => {
        expect(toIso(periodStart(anchor, cadence, k))).toBe(expectedStartIso(anchor, cadence, k));
      }),
      { numRuns: 2000 },
    );
  });

  it("start at the anchor for k = 0 and step back by one interval for k = -1", () => {
    fc.assert(
      fc.property(anchorArb, cadenceArb, (anchor, cadence) => {
        expect(periodStart(anchor, cadence, 0)).toBe(anchor);
        expect(oneIntervalBefore(anchor, cadence)).toBe(periodStart(anchor, cadence, -1));
        expect(oneIntervalAfter(anchor, cadence)).toBe(periodStart(anchor, cadence, 1));
      }),
    );
  });

  it("periodIndexAt returns the k whose period contains t", () => {
    fc.assert(
      fc.property(
        anchorArb,
        cadenceArb,
        kArb,
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (anchor, cadence, k, frac) => {
          const p = periodAt(anchor, cadence, k);
          const t = p.start + Math.floor(frac * (p.end - p.start));
          const found = periodIndexAt(anchor, cadence, t);
          expect(found).toBe(k);
          expect(periodStart(anchor, cadence, found)).toBeLessThanOrEqual(t);
          expect(periodStart(anchor, cadence, found + 1)).toBeGreaterThan(t);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("periodIndexAt agrees with periodStart at every boundary", () => {
    fc.assert(
      fc.property(anchorArb, cadenceArb, kArb, (anchor, cadence, k) => {
        const start = periodStart(anchor, cadence, k);
        expect(periodIndexAt(anchor, cadence, start)).toBe(k);
        expect(periodIndexAt(anchor, cadence, start - 1)).toBe(k - 1);
      }),
      { numRuns: 2000 },
    );
  });
});
