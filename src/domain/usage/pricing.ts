import { roundHalfAwayFromZero } from "../money";
import type { Decimal } from "./decimal";
import { ceilDivide, minDecimal, ONE } from "./decimal";

/** A tier of a graduated or volume price: up to `upTo` units inclusive (null: no bound). */
export interface Tier {
  upTo: Decimal | null;
  /** Minor units per unit. */
  unitAmount: Decimal;
  /** Minor units, added once when the tier applies. */
  flatAmount: number;
}

/** How a charge prices a quantity (docs/billing-rules.md rule 14d). */
export type ChargePrice =
  | { model: "standard"; unitAmount: Decimal }
  | { model: "graduated"; tiers: readonly Tier[] }
  | { model: "volume"; tiers: readonly Tier[] }
  | { model: "package"; packageSize: Decimal; packageAmount: number };

/** A Decimal × Decimal product has 24 fractional digits; integers lifted to it. */
const PRODUCT_ONE = ONE * ONE;

/**
 * Rule 14d: the price of quantity q in minor units, computed exactly (in 10^-24 minor units)
 * and rounded once, halves away from zero.
 * NOTE: graduated = Σ_i units in (up_to[i−1], up_to[i]] × unit_i + flat_i (when units > 0);
 * volume = q × unit_k + flat_k for the tier k containing q (0 when q = 0);
 * package = ceil(q / size) × package_amount.
 */
export function priceQuantity(price: ChargePrice, quantity: Decimal): number {
  if (quantity < 0n) throw new RangeError("usage quantity cannot be negative");
  return toMinorUnits(exactPrice(price, quantity));
}

/** The exact price in 10^-24 minor units (no rounding yet). */
export function exactPrice(price: ChargePrice, q: Decimal): bigint {
  switch (price.model) {
    case "standard":
      return q * price.unitAmount;
    case "package":
      return ceilDivide(q, price.packageSize) * BigInt(price.packageAmount) * PRODUCT_ONE;
    case "graduated": {
      let total = 0n;
      let lower = 0n;
      for (const tier of price.tiers) {
        if (q <= lower) break;
        const upper = tier.upTo === null ? q : minDecimal(q, tier.upTo);
        total += (upper - lower) * tier.unitAmount + BigInt(tier.flatAmount) * PRODUCT_ONE;
        if (tier.upTo === null) break;
        lower = tier.upTo;
      }
      return total;
    }
    case "volume": {
      if (q === 0n) return 0n;
      const tier = price.tiers.find((t) => t.upTo === null || q <= t.upTo) ?? price.tiers[price.tiers.length - 1]!;
      return q * tier.unitAmount + BigInt(tier.flatAmount) * PRODUCT_ONE;
    }
  }
}

function toMinorUnits(exact: bigint): number {
  const amount = roundHalfAwayFromZero(exact, PRODUCT_ONE);
  if (!Number.isSafeInteger(amount)) throw new RangeError("usage amount overflow");
  return amount;
}

/** Why a tier list is unusable, or null: ascending `up_to`, only the last one null. */
export function tiersProblem(tiers: readonly Tier[]): string | null {
  if (tiers.length === 0) return "at least one tier is required";
  for (let i = 0; i < tiers.length; i++) {
    const upTo = tiers[i]!.upTo;
    const last = i === tiers.length - 1;
    if (last && upTo !== null) return "the last tier's up_to must be null";
    if (!last && upTo === null) return "only the last tier's up_to may be null";
    if (!last && upTo !== null && upTo <= 0n) return "up_to must be positive";
    const previous = i > 0 ? tiers[i - 1]!.upTo : null;
    if (!last && previous !== null && upTo !== null && upTo <= previous) return "up_to must ascend";
  }
  return null;
}
