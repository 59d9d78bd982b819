import type { LineDiscount } from "./discount";
import { scaleAmount } from "./money";
import type { Instant } from "./time";
import { toIsoDate } from "./time";

/** What is being billed: a plan's unit price (snapshot) times a quantity. */
export interface PricedItem {
  planId: string;
  planName: string;
  amount: number;
  quantity: number;
}

export type LineType = "subscription" | "proration" | "invoice_item" | "usage";

/** What a `usage` line says about its usage (docs/billing-rules.md rule 14): the meter, the charge's index, the quantity. */
export interface LineUsage {
  meter: string;
  charge: number;
  /** The aggregated usage, a decimal string. */
  quantity: string;
}

/** An invoice line before it has an id: the domain's unit of billing. */
export interface DraftLine {
  type: LineType;
  description: string;
  amount: number;
  quantity: number;
  plan: string | null;
  periodStart: Instant;
  periodEnd: Instant;
  /** Only on a `usage` line. */
  usage?: LineUsage;
  /** A credit for unused time: the discount it carries from the period it credits (rule 13d). */
  carriedDiscount?: LineDiscount | null;
}

/**
 * The unused fraction of [start, end) after t, in whole seconds:
 * f = (end − t) / (end − start). Returned as a numerator and denominator so no float
 * touches money.
 */
export function unusedFraction(period: { start: Instant; end: Instant }, at: Instant) {
  if (!(period.start <= at && at <= period.end)) throw new RangeError("change time outside the period");
  return { numerator: period.end - at, denominator: period.end - period.start };
}

/**
 * docs/billing-rules.md rule 4. NOTE: credit = −round(old amount × old qty × f),
 * charge = +round(new amount × new qty × f), f = (e − t)/(e − s).
 */
export function prorationCredit(item: PricedItem, period: { start: Instant; end: Instant }, at: Instant): DraftLine {
  const f = unusedFraction(period, at);
  return {
    type: "proration",
    description: `Unused time on ${item.planName} after ${toIsoDate(at)}`,
    // Rounding is symmetric, so round(−x·f) = −round(x·f); negating first never yields −0.
    amount: scaleAmount(-item.amount * item.quantity, f.numerator, f.denominator),
    quantity: item.quantity,
    plan: item.planId,
    periodStart: at,
    periodEnd: period.end,
  };
}

export function prorationCharge(item: PricedItem, period: { start: Instant; end: Instant }, at: Instant): DraftLine {
  const f = unusedFraction(period, at);
  return {
    type: "proration",
    description: `Remaining time on ${item.planName} after ${toIsoDate(at)}`,
    amount: scaleAmount(item.amount * item.quantity, f.numerator, f.denominator),
    quantity: item.quantity,
    plan: item.planId,
    periodStart: at,
    periodEnd: period.end,
  };
}

/** The full `subscription` line for a period (rule 2). */
export function subscriptionLine(item: PricedItem, period: { start: Instant; end: Instant }): DraftLine {
  return {
    type: "subscription",
    description: `${item.quantity} × ${item.planName} (${toIsoDate(period.start)} – ${toIsoDate(period.end)})`,
    amount: item.amount * item.quantity,
    quantity: item.quantity,
    plan: item.planId,
    periodStart: period.start,
    periodEnd: period.end,
  };
}

/**
 * Rule 6: a first period [start, anchor) shorter than the interval is charged
 * round(amount × qty × (anchor − start) / (anchor − previous)), previous = anchor − 1 interval.
 */
export function partialPeriodLine(
  item: PricedItem,
  period: { start: Instant; end: Instant },
  previous: Instant,
): DraftLine {
  return {
    ...subscriptionLine(item, period),
    amount: scaleAmount(item.amount * item.quantity, period.end - period.start, period.end - previous),
  };
}
