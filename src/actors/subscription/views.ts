import { discountView } from "../../contract/discount";
import type { Invoice, InvoiceLine, Payment } from "../../contract/invoice";
import type { Subscription } from "../../contract/subscription";
import type { LineDiscount } from "../../domain/discount";
import { currentDiscount } from "../../domain/discount";
import { amountRemaining } from "../../domain/invoice";
import { draftLineFields } from "../../domain/lifecycle";
import type { Billable } from "../../domain/pricing";
import { totalDiscountAmounts, totalTaxAmounts } from "../../domain/pricing";
import type { DraftLine, LineUsage } from "../../domain/proration";
import type { LineTax, TaxRateTerms } from "../../domain/tax";
import { taxLabel } from "../../domain/tax";
import type { Instant } from "../../domain/time";
import { instantFromMillis, toIso } from "../../domain/time";
import type { InvoiceRow, LineRow, PaymentRow, SubscriptionRecord } from "./store";
import { lineAdjustments } from "./store";

const isoOrNull = (t: Instant | null) => (t === null ? null : toIso(t));

/** The subscription's own time: its test clock's, or the platform's. */
function timeOf(r: SubscriptionRecord): Instant {
  return r.testClock && r.clockTime !== null ? r.clockTime : instantFromMillis(Date.now());
}

/** The API shape of a subscription (docs/billing-rules.md, Objects). `discount` reads null once it has ended. */
export function subscriptionView(r: SubscriptionRecord): Subscription {
  const s = r.state;
  const discount = currentDiscount(s.discount, timeOf(r));
  return {
    id: r.id,
    object: "subscription",
    customer: r.customer,
    plan: s.plan.id,
    quantity: s.quantity,
    status: s.status,
    current_period_start: toIso(s.currentPeriodStart),
    current_period_end: toIso(s.currentPeriodEnd),
    billing_cycle_anchor: toIso(s.anchor),
    trial_start: isoOrNull(s.trialStart),
    trial_end: isoOrNull(s.trialEnd),
    cancel_at_period_end: s.cancelAtPeriodEnd,
    canceled_at: isoOrNull(s.canceledAt),
    ended_at: isoOrNull(s.endedAt),
    credit_balance: s.creditBalance,
    discount: discount
      ? discountView(discount, { timesRedeemed: discount.redemption?.timesRedeemed ?? 0, valid: true })
      : null,
    default_tax_rates: s.taxRates.map((t) => t.id),
    pause_collection: s.pauseCollection && {
      behavior: s.pauseCollection.behavior,
      resumes_at: isoOrNull(s.pauseCollection.resumesAt),
    },
    currency: s.plan.currency,
    latest_invoice: r.latestInvoice,
    test_clock: r.testClock,
    metadata: r.metadata,
    created: toIso(r.created),
  };
}

const discountAmounts = (list: readonly LineDiscount[]) => list.map((d) => ({ coupon: d.coupon, amount: d.amount }));
const taxAmounts = (list: readonly LineTax[]) =>
  list.map((t) => ({ tax_rate: t.taxRate, inclusive: t.inclusive, amount: t.amount }));

/**
 * An invoice's (or a preview's) sums per coupon and per rate, from its lines (rules 13d, 16);
 * a rate is labelled from the subscription's copy of it when it still has it.
 */
export function adjustmentsView(lines: readonly Billable[], rates: readonly TaxRateTerms[] = []) {
  const taxes = totalTaxAmounts(lines);
  return {
    total_discount_amounts: discountAmounts(totalDiscountAmounts(lines)),
    tax: taxes.reduce((sum, t) => sum + t.amount, 0),
    total_tax_amounts: taxAmounts(taxes).map((t) => {
      const rate = rates.find((r) => r.id === t.tax_rate);
      return { ...t, display_name: rate ? taxLabel(rate) : null };
    }),
  };
}

/** A line not yet stored (a preview's, the upcoming invoice's), under the id given. */
export function draftLineView(line: Billable, id: string): InvoiceLine {
  return {
    id,
    object: "line_item",
    ...draftLineFields(line),
    discount_amounts: discountAmounts(line.discounts ?? []),
    tax_amounts: taxAmounts(line.taxes ?? []),
  };
}

/** A usage line's `meter`, `charge` and `usage_quantity` (docs/billing-rules.md rule 14); nothing on other lines. */
function usageFields(usage: LineUsage | null): Partial<InvoiceLine> {
  return usage ? { meter: usage.meter, charge: usage.charge, usage_quantity: usage.quantity } : {};
}

export function lineView(l: Omit<LineRow, "id"> & { id: string }): InvoiceLine {
  const { discounts, taxes } = lineAdjustments(l);
  return {
    id: l.id,
    object: "line_item",
    type: l.type,
    description: l.description,
    amount: l.amount,
    quantity: l.quantity,
    plan: l.plan,
    period_start: toIso(l.period_start),
    period_end: toIso(l.period_end),
    discount_amounts: discountAmounts(discounts),
    tax_amounts: taxAmounts(taxes),
    ...usageFields(l.usage ? (JSON.parse(l.usage) as LineUsage) : null),
  };
}

/** The hosted page of a finalized invoice (its PDF: the same address + `/pdf`); null on a draft. */
export function hostedInvoiceUrl(publicUrl: string, i: Pick<InvoiceRow, "id" | "page_token">): string | null {
  return i.page_token === null ? null : `${publicUrl}/i/${i.id}/${i.page_token}`;
}

export function invoiceView(i: InvoiceRow, lines: LineRow[], r: SubscriptionRecord, publicUrl: string): Invoice {
  const remaining = amountRemaining(i.status, i.amount_due, i.amount_paid);
  const hosted = hostedInvoiceUrl(publicUrl, i);
  return {
    id: i.id,
    object: "invoice",
    number: i.number,
    subscription: r.id,
    customer: r.customer,
    status: i.status,
    currency: i.currency,
    lines: lines.map(lineView),
    subtotal: i.subtotal,
    ...adjustmentsView(
      lines.map((l) => ({ ...storedLine(l), ...lineAdjustments(l) })),
      r.state.taxRates,
    ),
    total: i.total,
    credit_applied: i.credit_applied,
    amount_due: i.amount_due,
    amount_paid: i.amount_paid,
    amount_remaining: remaining,
    attempt_count: i.attempt_count,
    next_payment_attempt: isoOrNull(i.next_payment_attempt),
    period_start: toIso(i.period_start),
    period_end: toIso(i.period_end),
    billing_reason: i.billing_reason,
    created: toIso(i.created),
    finalized_at: isoOrNull(i.finalized_at),
    paid_at: isoOrNull(i.paid_at),
    voided_at: isoOrNull(i.voided_at),
    hosted_invoice_url: hosted,
    invoice_pdf: hosted && `${hosted}/pdf`,
    test_clock: r.testClock,
  };
}

export function paymentView(p: PaymentRow): Payment {
  return {
    id: p.id,
    object: "payment",
    invoice: p.invoice_id,
    amount: p.amount,
    currency: p.currency,
    status: p.status,
    method: p.method,
    failure_code: p.failure_code,
    failure_message: p.failure_message,
    attempt: p.attempt,
    reference: p.reference ?? p.gateway_reference,
    created: toIso(p.created),
    refund_status:
      p.status !== "refunded"
        ? null
        : p.refund_failure_code !== null
          ? "failed"
          : p.refund_reference !== null
            ? "succeeded"
            : "pending",
    refund_failure_code: p.refund_failure_code ?? null,
    refund_failure_message: p.refund_failure_message ?? null,
    needs_attention: p.attention_since !== null && p.attention_since !== undefined,
  };
}

function storedLine(l: LineRow): DraftLine {
  return {
    type: l.type,
    description: l.description,
    amount: l.amount,
    quantity: l.quantity,
    plan: l.plan,
    periodStart: l.period_start,
    periodEnd: l.period_end,
  };
}
