import { sumAmounts } from "./money";
import type { Billable } from "./pricing";
import { invoiceAdjustments } from "./pricing";
import type { DraftLine } from "./proration";

export type InvoiceStatus = "draft" | "open" | "paid" | "void" | "uncollectible";
export type BillingReason =
  | "subscription_create"
  | "subscription_cycle"
  | "subscription_update"
  | "subscription_final"
  | "manual";

export interface InvoiceTotals {
  subtotal: number;
  /** Every line's discounts (rule 13e). */
  totalDiscount: number;
  /** Every tax amount, inclusive and exclusive (rule 16). */
  tax: number;
  total: number;
  creditApplied: number;
  amountDue: number;
  /** The subscription's credit balance once this invoice is finalized. */
  creditBalanceAfter: number;
  /** `paid` when nothing is due (rule 8), else `open`. */
  status: "open" | "paid";
}

/**
 * docs/billing-rules.md rule 8 after rules 13e and 16: total = subtotal − discounts + exclusive
 * tax. A negative total is paid at once and becomes credit; otherwise
 * credit_applied = min(credit, total) and amount_due = total − credit_applied.
 */
export function finalizeTotals(lines: readonly Billable[], creditBalance: number): InvoiceTotals {
  const subtotal = sumAmounts(lines.map((line) => line.amount));
  const { totalDiscount, tax, exclusiveTax } = invoiceAdjustments(lines);
  const total = subtotal - totalDiscount + exclusiveTax;
  if (total < 0) {
    return {
      subtotal,
      totalDiscount,
      tax,
      total,
      creditApplied: 0,
      amountDue: 0,
      creditBalanceAfter: creditBalance - total,
      status: "paid",
    };
  }
  const creditApplied = Math.min(creditBalance, total);
  const amountDue = total - creditApplied;
  return {
    subtotal,
    totalDiscount,
    tax,
    total,
    creditApplied,
    amountDue,
    creditBalanceAfter: creditBalance - creditApplied,
    status: amountDue === 0 ? "paid" : "open",
  };
}

/**
 * Rule 8 at finalization, from the invoice's total: a draft (rule 15) is finalized with the
 * credit the subscription holds then, as an invoice issued at that moment would be.
 */
export function creditAtFinalization(
  total: number,
  creditBalance: number,
): Pick<InvoiceTotals, "creditApplied" | "amountDue" | "creditBalanceAfter" | "status"> {
  if (total < 0) return { creditApplied: 0, amountDue: 0, creditBalanceAfter: creditBalance - total, status: "paid" };
  const creditApplied = Math.min(creditBalance, total);
  const amountDue = total - creditApplied;
  return {
    creditApplied,
    amountDue,
    creditBalanceAfter: creditBalance - creditApplied,
    status: amountDue === 0 ? "paid" : "open",
  };
}

/** Rule 8: voiding an invoice gives its credit_applied back; marking it uncollectible does not. */
export function creditReturnedOnClose(to: "void" | "uncollectible", creditApplied: number): number {
  return to === "void" ? creditApplied : 0;
}

/**
 * Rule 12: pending lines left at the end are invoiced when their sum is positive, else dropped.
 * Rule 14f: usage is never dropped; a usage line makes the final invoice whatever the sum.
 */
export function shouldInvoicePendingAtEnd(pending: readonly DraftLine[]): boolean {
  if (pending.some((line) => line.type === "usage")) return true;
  return sumAmounts(pending.map((line) => line.amount)) > 0;
}

/** Still owed while open or uncollectible (as Stripe); nothing once paid or void. */
export function amountRemaining(status: InvoiceStatus, amountDue: number, amountPaid: number): number {
  return status === "open" || status === "uncollectible" ? amountDue - amountPaid : 0;
}

/** Invoice numbers: `<8 chars of the subscription's routing key>-<4-digit sequence>`, gapless per subscription. */
export function invoiceNumber(subscriptionKey: string, sequence: number): string {
  return `${subscriptionKey.slice(0, 8)}-${String(sequence).padStart(4, "0")}`;
}
