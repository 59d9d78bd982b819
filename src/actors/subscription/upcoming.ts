import type { Invoice } from "../../contract/invoice";
import { upcomingRenewal } from "../../domain/lifecycle";
import type { Instant } from "../../domain/time";
import { toIso } from "../../domain/time";
import { upcomingJobChange } from "../../domain/upcoming";
import type { BillingContext } from "./context";
import { loadLedger, writeJobs } from "./persist";
import { closingUsage, withUsage } from "./usage";
import { adjustmentsView, draftLineView } from "./views";

// `invoice.upcoming` (docs/billing-rules.md, Events): a job on the subscription's own alarm (or its test clock),
// `BILLIFY_UPCOMING_DAYS` before each renewal. The job is kept in step with the state after
// every transaction (`syncUpcomingJob`, called by the actor in the same transaction), so no
// decision has to remember it; `_meta.upcoming_sent_for` (the period end it announced) keeps a
// period from being announced twice. The job itself runs `decideUpcomingNotice`
// (src/domain/upcoming.ts), persisted like every decision; its event renders `upcomingInvoice`.

/** The preview of the invoice the next renewal will make: `data.object` of `invoice.upcoming` (reads.ts's, plus the fields an email reads). */
export interface UpcomingInvoice {
  object: "invoice";
  upcoming: true;
  number: null;
  subscription: string;
  customer: string;
  status: "draft";
  currency: string;
  billing_reason: Invoice["billing_reason"];
  period_start: string;
  period_end: string;
  lines: Invoice["lines"];
  subtotal: number;
  total_discount_amounts: Invoice["total_discount_amounts"];
  tax: number;
  total_tax_amounts: Invoice["total_tax_amounts"];
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

/** Inside every transaction: the job for the current period, or none (`upcomingJobChange`). */
export function syncUpcomingJob(ctx: BillingContext, days: number, now: Instant): void {
  const record = ctx.store.load();
  if (!record) return;
  const change = upcomingJobChange({
    state: record.state,
    sentFor: sentFor(ctx),
    currentDueAt: ctx.store.job("invoice_upcoming")?.due_at ?? null,
    days,
    now,
  });
  if (change) writeJobs(ctx.store, [change]);
}

/**
 * The invoice the next renewal will make, from `upcomingRenewal` — the renewal decision the
 * `renew` job itself runs (src/domain/lifecycle.ts), on the same ledger — so the reminder is
 * that invoice line for line; null when the renewal makes none.
 */
export function upcomingInvoice(ctx: BillingContext): UpcomingInvoice | null {
  const record = ctx.store.load()!;
  const invoice = upcomingRenewal(ledgerWithUpcomingUsage(ctx))?.issue[0];
  if (!invoice) return null;
  const renewsAt = toIso(record.state.currentPeriodEnd);
  return {
    object: "invoice",
    upcoming: true,
    number: null,
    subscription: record.id,
    customer: record.customer,
    status: "draft",
    currency: invoice.currency,
    billing_reason: invoice.reason,
    period_start: toIso(invoice.period.start),
    period_end: toIso(invoice.period.end),
    lines: invoice.lines.map((l, i) => draftLineView(l, `il_upcoming_${i + 1}`)),
    subtotal: invoice.totals.subtotal,
    ...adjustmentsView(invoice.lines, record.state.taxRates),
    total: invoice.totals.total,
    credit_applied: invoice.totals.creditApplied,
    amount_due: invoice.totals.amountDue,
    amount_paid: 0,
    amount_remaining: invoice.totals.amountDue,
    next_payment_attempt: renewsAt,
    created: renewsAt,
  };
}

/** The ledger with the usage the renewal will bill (as it stands now; rule 14e). */
function ledgerWithUpcomingUsage(ctx: BillingContext) {
  const ledger = loadLedger(ctx);
  return ledger.state.status === "trialing"
    ? ledger
    : withUsage(ledger, closingUsage(ctx, ledger.state.currentPeriodEnd));
}
