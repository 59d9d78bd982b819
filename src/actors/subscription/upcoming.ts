import { finalizeTotals } from "../../domain/invoice";
import { isEnded, renew } from "../../domain/subscription";
import type { Instant } from "../../domain/time";
import { toIso } from "../../domain/time";
import { upcomingNoticeAt } from "../../domain/upcoming";
import type { BillingContext } from "./context";

// `invoice.upcoming` (API.md §6): a job on the subscription's own alarm (or its test clock),
// `BILLIFY_UPCOMING_DAYS` before each renewal. The job is kept in step with the state after
// every transaction (`syncUpcomingJob`, called by the actor in the same transaction), so no
// decision has to remember it; `_meta.upcoming_sent_for` (the period end it announced) keeps a
// period from being announced twice.

/** The preview of the invoice the next renewal will make: `data.object` of `invoice.upcoming`. */
export interface UpcomingInvoice {
  object: "invoice";
  upcoming: true;
  number: null;
  subscription: string;
  customer: string;
  status: "draft";
  currency: string;
  billing_reason: "subscription_cycle";
  period_start: string;
  period_end: string;
  lines: { object: "line_item"; type: string; description: string; amount: number; quantity: number; plan: string | null; period_start: string; period_end: string }[];
  subtotal: number;
  total: number;
  credit_applied: number;
  amount_due: number;
  amount_paid: 0;
  amount_remaining: number;
  next_payment_attempt: string;
  /** When the renewal runs and makes the invoice. */
  created: string;
}

function sentFor(ctx: BillingContext): number | null {
  return ctx.store.meta("upcoming_sent_for");
}

/** Inside every transaction: the job for the current period, or none. */
export function syncUpcomingJob(ctx: BillingContext, days: number): void {
  const record = ctx.store.load();
  if (!record) return;
  const { state } = record;
  const due =
    isEnded(state.status) || state.cancelAtPeriodEnd || sentFor(ctx) === state.currentPeriodEnd
      ? null
      : upcomingNoticeAt({ start: state.currentPeriodStart, end: state.currentPeriodEnd }, days);
  const current = ctx.store.job("invoice_upcoming");
  if (due === null) {
    if (current) ctx.store.unschedule("invoice_upcoming");
  } else if (current?.due_at !== due) {
    ctx.store.schedule("invoice_upcoming", due);
  }
}

/** The job: records `invoice.upcoming` with the renewal's own invoice (once per period). */
export function announceUpcoming(ctx: BillingContext, at: Instant): void {
  const record = ctx.store.load()!;
  ctx.store.unschedule("invoice_upcoming");
  ctx.store.setMeta("upcoming_sent_for", record.state.currentPeriodEnd);
  const preview = upcomingInvoice(ctx);
  if (preview) ctx.store.recordEvent("invoice.upcoming", preview, at);
}

/** The invoice the renewal decision (`renew`, the same function the renew job runs) will make; null if none. */
export function upcomingInvoice(ctx: BillingContext): UpcomingInvoice | null {
  const record = ctx.store.load()!;
  const pending = ctx.store.pending();
  const decision = renew(record.state, pending);
  if (!decision.ok || decision.held || !decision.invoice) return null;
  // As the renew job writes it (issueInvoice): the period line, then every pending line, credit applied.
  const lines = [...decision.invoice.lines, ...pending];
  const totals = finalizeTotals(lines, record.state.creditBalance);
  const renewsAt = toIso(record.state.currentPeriodEnd);
  return {
    object: "invoice",
    upcoming: true,
    number: null,
    subscription: record.id,
    customer: record.customer,
    status: "draft",
    currency: record.state.plan.currency,
    billing_reason: "subscription_cycle",
    period_start: toIso(decision.invoice.period.start),
    period_end: toIso(decision.invoice.period.end),
    lines: lines.map((l) => ({ object: "line_item", type: l.type, description: l.description, amount: l.amount, quantity: l.quantity, plan: l.plan, period_start: toIso(l.periodStart), period_end: toIso(l.periodEnd) })),
    subtotal: totals.subtotal,
    total: totals.total,
    credit_applied: totals.creditApplied,
    amount_due: totals.amountDue,
    amount_paid: 0,
    amount_remaining: totals.amountDue,
    next_payment_attempt: renewsAt,
    created: renewsAt,
  };
}
