import type { Period } from "../billing-period";
import type { DraftLine } from "../proration";
import { toIsoDate } from "../time";
import type { Aggregation, UsageAggregate } from "./aggregate";
import { EMPTY_AGGREGATE, quantityOf } from "./aggregate";
import type { Decimal } from "./decimal";
import { formatDecimal, parseDecimal } from "./decimal";
import type { ChargePrice } from "./pricing";
import { priceQuantity } from "./pricing";

/** A plan's charge as a subscription keeps it: its index on the plan, its meter's terms, its price. */
export interface MeteredCharge {
  index: number;
  meter: string;
  eventName: string;
  meterName: string;
  aggregation: Aggregation;
  price: ChargePrice;
}

/** The plan whose charges priced a usage window (kept with the window: a later change never reprices it). */
export interface WindowPlan {
  planId: string;
  charges: readonly MeteredCharge[];
}

/** A charge's usage over a window, priced: what a usage line or the usage read shows. */
export interface PricedUsage {
  charge: MeteredCharge;
  quantity: string;
  amount: number;
}

/** Rule 14d for every charge of a window: the aggregate of its meter, priced (0 with no events). */
export function priceWindow(plan: WindowPlan, aggregates: ReadonlyMap<string, UsageAggregate>): PricedUsage[] {
  return plan.charges.map((charge) => {
    const quantity = quantityOf(aggregates.get(charge.eventName) ?? EMPTY_AGGREGATE, charge.aggregation);
    return { charge, quantity: formatDecimal(quantity), amount: priceQuantity(charge.price, quantity) };
  });
}

/** Rule 14e: one `usage` line per charge for the window, even when its amount is 0. */
export function usageLines(plan: WindowPlan, window: Period, priced: readonly PricedUsage[]): DraftLine[] {
  return priced.map((usage) => usageLine(plan, window, usage, usage.amount, ""));
}

/**
 * Rule 14g: late events in a window already billed make, per charge, a line of the window's
 * price now minus what was billed for it; a charge whose price did not move makes none.
 */
export function lateUsageLines(
  plan: WindowPlan,
  window: Period,
  priced: readonly PricedUsage[],
  billed: readonly number[],
): DraftLine[] {
  return priced.flatMap((usage, i) => {
    const difference = usage.amount - (billed[i] ?? 0);
    return difference === 0 ? [] : [usageLine(plan, window, usage, difference, " (late usage)")];
  });
}

function usageLine(plan: WindowPlan, window: Period, usage: PricedUsage, amount: number, note: string): DraftLine {
  return {
    type: "usage",
    description: `${usage.charge.meterName}: ${usage.quantity} (${toIsoDate(window.start)} – ${toIsoDate(window.end)})${note}`,
    amount,
    quantity: 1,
    plan: plan.planId,
    periodStart: window.start,
    periodEnd: window.end,
    usage: { meter: usage.charge.meter, charge: usage.charge.index, quantity: usage.quantity },
  };
}

/** A charge as a plan's terms carry it: JSON-safe (decimal strings), turned into a MeteredCharge to price. */
export interface ChargeSpec {
  meter: string;
  eventName: string;
  meterName: string;
  aggregation: Aggregation;
  /** The charge as the plan spells it (decimal strings); `chargePrice` reads it. */
  price: ChargePriceSpec;
}

export type ChargePriceSpec =
  | { model: "standard"; unit: string }
  | { model: "graduated" | "volume"; tiers: { upTo: string | null; unit: string; flat: number }[] }
  | { model: "package"; size: string; amount: number };

export function meteredCharges(specs: readonly ChargeSpec[]): MeteredCharge[] {
  return specs.map((spec, index) => ({
    index,
    meter: spec.meter,
    eventName: spec.eventName,
    meterName: spec.meterName,
    aggregation: spec.aggregation,
    price: chargePrice(spec.price),
  }));
}

function exact(text: string): Decimal {
  const value = parseDecimal(text);
  if (value === null) throw new RangeError(`not a decimal: ${text}`);
  return value;
}

export function chargePrice(spec: ChargePriceSpec): ChargePrice {
  switch (spec.model) {
    case "standard":
      return { model: "standard", unitAmount: exact(spec.unit) };
    case "package":
      return { model: "package", packageSize: exact(spec.size), packageAmount: spec.amount };
    default:
      return {
        model: spec.model,
        tiers: spec.tiers.map((t) => ({
          upTo: t.upTo === null ? null : exact(t.upTo),
          unitAmount: exact(t.unit),
          flatAmount: t.flat,
        })),
      };
  }
}
