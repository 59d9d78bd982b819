import type { Discount, LineDiscount } from "./discount";
import { discountAppliesAt, lineDiscounts } from "./discount";
import { sumAmounts } from "./money";
import type { DraftLine } from "./proration";
import type { LineTax, TaxRateTerms } from "./tax";
import { lineTaxes } from "./tax";
import type { Instant } from "./time";

// An invoice's lines priced at its creation (rules 13 and 16): each line's discount, then each
// line's tax on what is left. Works on any line type (subscription, proration, invoice_item, usage).

/** A line with its discounts and taxes, as an invoice shows it. */
export interface PricedLine extends DraftLine {
  discounts: LineDiscount[];
  taxes: LineTax[];
}

/** What prices an invoice made at some time: the subscription's discount and tax rates then. */
export interface PricingTerms {
  discount: Discount | null;
  taxRates: readonly TaxRateTerms[];
}

/**
 * Rule 13d then rule 16: a credit for unused time keeps only the discount it carries; every
 * other line takes the discount in force at `at` (zero amounts are not listed); each line's
 * taxable amount is its amount minus its discounts, taxed by every rate in order.
 */
export function priceLines(lines: readonly DraftLine[], terms: PricingTerms, at: Instant): PricedLine[] {
  const discount = discountAppliesAt(terms.discount, at) ? terms.discount : null;
  const amounts = discount ? lineDiscounts(discount.coupon, lines) : lines.map(() => 0);
  return lines.map((line, i) => {
    const discounts: LineDiscount[] = [];
    if (line.carriedDiscount) discounts.push(line.carriedDiscount);
    if (discount && amounts[i] !== 0) discounts.push({ coupon: discount.coupon.id, amount: amounts[i]! });
    const taxable = line.amount - sumAmounts(discounts.map((d) => d.amount));
    return { ...line, discounts, taxes: lineTaxes(taxable, terms.taxRates) };
  });
}

/** A line's discounts and taxes (none for a line never priced). */
type Billable = DraftLine & { discounts?: readonly LineDiscount[]; taxes?: readonly LineTax[] };

export function lineDiscountTotal(line: Billable): number {
  return sumAmounts((line.discounts ?? []).map((d) => d.amount));
}

/** The invoice's `total_discount_amounts`: each coupon's sum over the lines, in first-seen order. */
export function totalDiscountAmounts(lines: readonly Billable[]): LineDiscount[] {
  const sums = new Map<string, number>();
  for (const line of lines)
    for (const d of line.discounts ?? []) sums.set(d.coupon, (sums.get(d.coupon) ?? 0) + d.amount);
  return [...sums].map(([coupon, amount]) => ({ coupon, amount }));
}

/** The invoice's `total_tax_amounts`: each rate's sum over the lines, in the rates' order. */
export function totalTaxAmounts(lines: readonly Billable[]): LineTax[] {
  const sums = new Map<string, LineTax>();
  for (const line of lines) {
    for (const t of line.taxes ?? []) {
      const sum = sums.get(t.taxRate);
      sums.set(t.taxRate, { taxRate: t.taxRate, inclusive: t.inclusive, amount: (sum?.amount ?? 0) + t.amount });
    }
  }
  return [...sums.values()];
}

/** Rule 13e and 16: the discounts, all tax, and the exclusive tax that `total` adds. */
export function invoiceAdjustments(lines: readonly Billable[]) {
  const taxes = lines.flatMap((line) => line.taxes ?? []);
  return {
    totalDiscount: sumAmounts(lines.map(lineDiscountTotal)),
    tax: sumAmounts(taxes.map((t) => t.amount)),
    exclusiveTax: sumAmounts(taxes.filter((t) => !t.inclusive).map((t) => t.amount)),
  };
}

export type { Billable };
