import type { Invoice, InvoiceLine, Payment } from "../../contract/invoice";
import type { Subscription } from "../../contract/subscription";
import { amountRemaining } from "../../domain/invoice";
import { draftLineFields } from "../../domain/lifecycle";
import type { DraftLine, LineUsage } from "../../domain/proration";
import type { Instant } from "../../domain/time";
import { toIso } from "../../domain/time";
import type { InvoiceRow, LineRow, PaymentRow, SubscriptionRecord } from "./store";

const isoOrNull = (t: Instant | null) => (t === null ? null : toIso(t));

/** The API shape of a subscription (docs/billing-rules.md, Objects). */
export function subscriptionView(r: SubscriptionRecord): Subscription {
  const s = r.state;
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

/** A line not yet stored (a preview's, the upcoming invoice's), under the id given. */
export function draftLineView(line: DraftLine, id: string): InvoiceLine {
  return { id, object: "line_item", ...draftLineFields(line) };
}

/** A usage line's `meter`, `charge` and `usage_quantity` (API.md §8); nothing on other lines. */
function usageFields(usage: LineUsage | null): Partial<InvoiceLine> {
  return usage ? { meter: usage.meter, charge: usage.charge, usage_quantity: usage.quantity } : {};
}

export function lineView(l: Omit<LineRow, "id"> & { id: string }): InvoiceLine {
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
  };
}
