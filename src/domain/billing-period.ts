import type { Instant } from "./time";
import { SECONDS_PER_DAY } from "./time";

export type Interval = "day" | "week" | "month" | "year";

export interface Cadence {
  interval: Interval;
  intervalCount: number;
}

export interface Period {
  start: Instant;
  end: Instant;
}

function daysInMonth(year: number, monthIndex: number): number {
  return new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate();
}

/**
 * The start of period k: anchor + k × interval (docs/billing-rules.md rule 1). Months and years keep
 * the anchor's day of month, clamped to the month's last day, and its time of day; so
 * Jan 31 → Feb 28 (29) → Mar 31. Always computed from the anchor, never chained, so
 * periods never drift. k may be negative (the period before the anchor).
 */
export function periodStart(anchor: Instant, cadence: Cadence, k: number): Instant {
  const steps = k * cadence.intervalCount;
  switch (cadence.interval) {
    case "day":
      return anchor + steps * SECONDS_PER_DAY;
    case "week":
      return anchor + steps * 7 * SECONDS_PER_DAY;
    case "month":
    case "year": {
      const months = cadence.interval === "year" ? steps * 12 : steps;
      const a = new Date(anchor * 1000);
      const totalMonths = a.getUTCFullYear() * 12 + a.getUTCMonth() + months;
      const year = Math.floor(totalMonths / 12);
      const month = totalMonths - year * 12;
      const day = Math.min(a.getUTCDate(), daysInMonth(year, month));
      const secondsOfDay = anchor - Math.floor(anchor / SECONDS_PER_DAY) * SECONDS_PER_DAY;
      return Date.UTC(year, month, day) / 1000 + secondsOfDay;
    }
  }
}

/** Period k as [start, end). */
export function periodAt(anchor: Instant, cadence: Cadence, k: number): Period {
  return { start: periodStart(anchor, cadence, k), end: periodStart(anchor, cadence, k + 1) };
}

/** The index k of the period containing t (t ≥ anchor gives k ≥ 0). */
export function periodIndexAt(anchor: Instant, cadence: Cadence, t: Instant): number {
  // An estimate from the average length, then corrected: exact and O(1).
  const approx = approximateLength(cadence);
  let k = Math.floor((t - anchor) / approx);
  while (periodStart(anchor, cadence, k) > t) k -= 1;
  while (periodStart(anchor, cadence, k + 1) <= t) k += 1;
  return k;
}

function approximateLength(cadence: Cadence): number {
  const unit =
    cadence.interval === "day"
      ? SECONDS_PER_DAY
      : cadence.interval === "week"
        ? 7 * SECONDS_PER_DAY
        : cadence.interval === "month"
          ? 30.436875 * SECONDS_PER_DAY
          : 365.2425 * SECONDS_PER_DAY;
  return unit * cadence.intervalCount;
}

/** The end of one interval starting at t (a new cycle restarting at t, rule 5). */
export function oneIntervalAfter(t: Instant, cadence: Cadence): Instant {
  return periodStart(t, cadence, 1);
}

/** anchor − one interval by the same calendar rule (rule 6's "previous"). */
export function oneIntervalBefore(anchor: Instant, cadence: Cadence): Instant {
  return periodStart(anchor, cadence, -1);
}

/** At most three years per interval (docs/billing-rules.md, Objects). */
export function isCadenceAllowed(cadence: Cadence): boolean {
  if (!Number.isInteger(cadence.intervalCount) || cadence.intervalCount < 1) return false;
  const maxCount = { day: 1095, week: 156, month: 36, year: 3 }[cadence.interval];
  return cadence.intervalCount <= maxCount;
}

/**
 * Rule 6: the period [start, anchor) before the first full period, when it is shorter than
 * one interval (an anchor exactly one interval after the start makes a full period).
 */
export function isShortFirstPeriod(period: Period, anchor: Instant, cadence: Cadence): boolean {
  return period.end === anchor && oneIntervalAfter(period.start, cadence) !== anchor;
}
