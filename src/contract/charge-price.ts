import type { ChargePriceSpec } from "../domain/usage/lines";
import { chargePrice } from "../domain/usage/lines";
import type { ChargePrice } from "../domain/usage/pricing";

/** A charge as the wire (and the stored plan) spells it; validated by the Charge schema. */
export interface ChargeWire {
  meter: string;
  model: "standard" | "graduated" | "volume" | "package";
  unit_amount_decimal?: string | undefined;
  tiers?: { up_to: number | null; unit_amount_decimal: string; flat_amount: number }[] | undefined;
  package_size?: number | undefined;
  package_amount?: number | undefined;
}

/** The price terms a subscription keeps of a charge (decimal strings, JSON-safe). */
export function chargePriceSpecOf(charge: ChargeWire): ChargePriceSpec {
  switch (charge.model) {
    case "standard":
      return { model: "standard", unit: charge.unit_amount_decimal ?? "0" };
    case "package":
      return { model: "package", size: String(charge.package_size ?? 1), amount: charge.package_amount ?? 0 };
    default:
      return {
        model: charge.model,
        tiers: (charge.tiers ?? []).map((t) => ({
          upTo: t.up_to === null ? null : String(t.up_to),
          unit: t.unit_amount_decimal,
          flat: t.flat_amount,
        })),
      };
  }
}

/** The domain's exact price of a charge. */
export function chargePriceOf(charge: ChargeWire): ChargePrice {
  return chargePrice(chargePriceSpecOf(charge));
}
