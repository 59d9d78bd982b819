import { roundHalfAwayFromZero } from "./money";

// Tax rates (docs/billing-rules.md rule 16), per line, after its discount, rate by rate in the order listed.

/** A tax rate's terms as the subscription keeps them (they never change on the rate). */
export interface TaxRateTerms {
  id: string;
  /** Ten-thousandths of a percent (19.6 % is 196 000): four decimals, as the contract allows. */
  percentageMicros: number;
  inclusive: boolean;
  /** What invoices and emails call it ("VAT"); copied with the terms. */
  displayName?: string;
}

export interface LineTax {
  taxRate: string;
  inclusive: boolean;
  amount: number;
}

/** A rate's label: "VAT 20% (included)". */
export function taxLabel(rate: TaxRateTerms): string {
  const percent = `${rate.percentageMicros / 10_000}%`;
  return `${rate.displayName ?? "Tax"} ${percent}${rate.inclusive ? " (included)" : ""}`;
}

const HUNDRED_PERCENT = 1_000_000n;

/**
 * Rule 16. NOTE: exclusive r: round(taxable × r / 100); inclusive r: round(taxable × r / (100 + r))
 * (already inside the amount). Rounded as rule 4; a negative taxable amount gets a negative tax.
 */
export function taxOf(taxable: number, rate: TaxRateTerms): number {
  const r = BigInt(rate.percentageMicros);
  return roundHalfAwayFromZero(BigInt(taxable) * r, rate.inclusive ? HUNDRED_PERCENT + r : HUNDRED_PERCENT);
}

/** One line's tax amounts, one per rate in the listed order; rates never compound. */
export function lineTaxes(taxable: number, rates: readonly TaxRateTerms[]): LineTax[] {
  return rates.map((rate) => ({ taxRate: rate.id, inclusive: rate.inclusive, amount: taxOf(taxable, rate) }));
}
