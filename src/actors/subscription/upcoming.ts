import type { Invoice } from "../../contract/invoice";
import { upcomingRenewal } from "../../domain/lifecycle";
import type { Instant } from "../../domain/time";
import { toIso } from "../../domain/time";
import { upcomingDueAt, upcomingPassedOver } from "../../domain/upcoming";
import type { BillingContext } from "./context";
import { loadLedger } from "./persist";
import { closingUsage, withUsage } from "./usage";
import { adjustmentsView, draftLineView } from "./views";

// `invoice.upcoming` (docs/billing-rules.md, Events): a job on the subscription's own alarm (or its test clock),
// `BILLIFY_UPCOMING_DAYS` before each renewal. The job is no row: its due time is derived from
// the state (`upcomingDueAt`, src/domain/upcoming.ts; the store's `nextJob` returns it), so no
// decision has to remember it; `_meta.upcoming_sent_for` (the period end it announced, or passed
// over) keeps a period from being announced twice. The job runs `decideUpcomingNotice`,
// persisted like every decision, which marks the period (its due time moves past); its event
// renders `upcomingInvoice`. Each transaction that makes the notice due in the past passes it
// over (`passOverLateUpcoming`, called by the actor in the same transaction).

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

/** Inside every transaction: marks a notice it made due at a time already past (`upcomingPassedOver`). */
export function passOverLateUpcoming(ctx: BillingContext, dueBefore: Instant | null, days: number, now: Instant): void {
  const record = ctx.store.load();
  if (!record) return;
  // NOTE: the state alone first: `_meta` is read only when the notice would be due already.
  if ((upcomingDueAt({ state: record.state, sentFor: null, days }) ?? now + 1) > now) return;
  const sentFor = ctx.store.meta("upcoming_sent_for");
  const passed = upcomingPassedOver(dueBefore, { state: record.state, sentFor, days }, now);
  if (passed !== null) ctx.store.setMeta("upcoming_sent_for", passed);
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
