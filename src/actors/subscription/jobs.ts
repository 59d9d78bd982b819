import { decideIncompleteExpiry } from "../../domain/collection";
import { decideJobLeftDue } from "../../domain/decision";
import { decideDiscountEnd, decideRenewal, decideTrialReminder } from "../../domain/lifecycle";
import { decidePauseEnds } from "../../domain/pause";
import { decideRetryJobDropped } from "../../domain/payment-attempt";
import type { ChargeOrder } from "../../domain/payment-records";
import { isEnded } from "../../domain/subscription";
import type { Instant } from "../../domain/time";
import { decideUpcomingNotice } from "../../domain/upcoming";
import { attemptPayment, sendFirstCharge, withFirstAttemptNow } from "./attempt";
import type { RequestContext, SubscriptionContext } from "./context";
import { deferredToGatewaySlot } from "./pacing";
import { invoiceFacts, loadLedger, persist } from "./persist";
import { reconcile } from "./reconcile";
import { refundPayments } from "./refunds";
import type { JobRow } from "./store";
import { decideClosingUsage, settleUsage } from "./usage";

/** Runs every job due at or before `until`, in time order, each at its own due time. */
export async function runJobsDue(ctx: SubscriptionContext, until: Instant): Promise<void> {
  let previous = "";
  for (let guard = 0; guard < 10_000; guard++) {
    const job = ctx.store.nextJob();
    if (!job || job.due_at > until) break;
    const key = `${job.kind}:${job.invoice_id}:${job.due_at}`;
    if (key === previous) {
      // A job that ran and left itself due has nothing left to do: drop it, never spin.
      ctx.transaction(() => persist(ctx, decideJobLeftDue(loadLedger(ctx), job.kind, job.invoice_id), job.due_at));
      continue;
    }
    previous = key;
    await runJob(ctx, job);
  }
  ctx.publishSoon();
}

/**
 * "Now" for a request that writes: the subscription's time, after running every job already
 * due by then, so that a change arriving a moment after the period ended (before the alarm)
 * is decided on the period that is current at that instant. Reads use `ctx.clockNow` alone.
 */
export async function timeAfterDueJobs(ctx: RequestContext, testClock: string | null): Promise<Instant> {
  const now = await ctx.clockNow(testClock);
  if (ctx.store.load()) await runJobsDue(ctx, now);
  return now;
}

async function runJob(ctx: SubscriptionContext, job: JobRow): Promise<void> {
  const at = job.due_at;
  switch (job.kind) {
    case "renew": {
      const charge = runRenewal(ctx, at);
      if (charge) await sendFirstCharge(ctx, charge, at);
      return;
    }
    case "retry_payment":
      if (retryJobDropped(ctx, job.invoice_id, at)) return;
      if (await deferredToGatewaySlot(ctx, job.invoice_id)) return;
      return attemptPayment(ctx, job.invoice_id, at);
    case "reconcile_payment":
      return reconcile(ctx, job.invoice_id, at);
    case "refund_payment":
      return refundPayments(ctx, job.invoice_id, at);
    case "expire_incomplete":
      ctx.transaction(() => {
        const invoice = ctx.store.invoice(job.invoice_id);
        persist(ctx, decideIncompleteExpiry(loadLedger(ctx), invoice && invoiceFacts(invoice), at), at);
      });
      return;
    case "invoice_upcoming":
      ctx.transaction(() => persist(ctx, decideUpcomingNotice(loadLedger(ctx)), at));
      return;
    case "trial_will_end":
      ctx.transaction(() => persist(ctx, decideTrialReminder(loadLedger(ctx)), at));
      return;
    case "discount_end":
      ctx.transaction(() => persist(ctx, decideDiscountEnd(loadLedger(ctx), at), at));
      return;
    case "resume_collection":
      ctx.transaction(() => persist(ctx, decidePauseEnds(loadLedger(ctx), at), at));
      return;
  }
}

/**
 * Rule 3, as the `renew` job runs it, with its invoice's first attempt written in the same
 * transaction (`withFirstAttemptNow`); returns the charge to send then. Idempotent: a renewal
 * already made only clears its job.
 */
function runRenewal(ctx: SubscriptionContext, at: Instant): ChargeOrder | null {
  return ctx.transaction(() => {
    // Rule 14e: the period's usage is billed on the invoice its renewal makes (not while held).
    const { state } = ctx.store.load()!;
    const closes =
      state.currentPeriodEnd === at &&
      !isEnded(state.status) &&
      state.status !== "incomplete" &&
      state.status !== "trialing";
    const { decided, closing } = decideClosingUsage(ctx, at, closes, (ledger) => decideRenewal(ledger, at));
    const reservation = ctx.store.reserveInvoiceIds(decided.issue.map((invoice) => invoice.draft === true));
    const ids = reservation?.invoices.map((invoice) => invoice.id) ?? [];
    const { decision, charge } = withFirstAttemptNow(ctx, decided, ids, at);
    persist(ctx, decision, at, reservation);
    settleUsage(ctx, closing, decision, at);
    return charge;
  });
}

/**
 * Drops a `retry_payment` job whose attempt no longer runs (`decideRetryJobDropped`); whether
 * it did. Decided on a read (no await in between): a job that still runs costs no transaction.
 */
function retryJobDropped(ctx: SubscriptionContext, invoiceId: string, at: Instant): boolean {
  const invoice = ctx.store.invoice(invoiceId);
  const dropped = decideRetryJobDropped(loadLedger(ctx), invoiceId, invoice && invoiceFacts(invoice));
  if (dropped) ctx.transaction(() => persist(ctx, dropped, at));
  return dropped !== null;
}
