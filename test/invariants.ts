import { expect } from "vitest";
import type { Invoice, Payment } from "../src/contract/invoice";
import type { Subscription } from "../src/contract/subscription";

/**
 * The invariants that hold for any subscription at any moment, whatever happened to it
 * (docs/billing-rules.md rules 8, 9 and 11). Shared by the scenario comparison
 * (test/billing/invariants.test.ts) and the two-year simulations (test/simulation/two-years.ts),
 * which each add what their own model knows.
 */

/** An invoice's money: what remains is what is due less what is paid; nothing is paid beyond what is due. */
export function expectInvoiceAmounts(invoice: Invoice, where: string): void {
  expect(invoice.amount_paid, `${where}: paid beyond its amount due`).toBeLessThanOrEqual(invoice.amount_due);
  if (invoice.status === "open") {
    expect(invoice.amount_remaining, `${where}: amount_remaining`).toBe(invoice.amount_due - invoice.amount_paid);
  }
  if (invoice.status === "paid") {
    expect([invoice.amount_paid, invoice.amount_remaining], `${where}: paid in full`).toEqual([invoice.amount_due, 0]);
  }
}

/** An invoice's payments: what succeeded is its amount_paid, and none is left pending. */
export function expectPaymentsOfInvoice(invoice: Invoice, payments: readonly Payment[], where: string): void {
  const succeeded = payments.filter((p) => p.status === "succeeded").reduce((sum, p) => sum + p.amount, 0);
  expect(succeeded, `${where}: amount_paid = succeeded payments`).toBe(invoice.amount_paid);
  expect(
    payments.some((p) => p.status === "pending"),
    `${where}: a payment left pending`,
  ).toBe(false);
}

/** Exactly once: no period of the cycle (create or renewal) is invoiced twice. */
export function expectEachCyclePeriodOnce(invoices: readonly Invoice[], where: string): void {
  const starts = invoices
    .filter((i) => i.billing_reason === "subscription_create" || i.billing_reason === "subscription_cycle")
    .map((i) => `${i.period_start} – ${i.period_end}`);
  expect(new Set(starts).size, `${where}: a period invoiced twice: ${starts.join(", ")}`).toBe(starts.length);
}

/** Rule 9: active means nothing left open; past_due means something is. */
export function expectStatusAgainstOpenInvoices(sub: Subscription, invoices: readonly Invoice[], where: string): void {
  const open = invoices.filter((i) => i.status === "open").map((i) => i.id);
  if (sub.status === "active") expect(open, `${where}: active with an open invoice`).toEqual([]);
  if (sub.status === "past_due") expect(open.length, `${where}: past_due with nothing open`).toBeGreaterThan(0);
}
