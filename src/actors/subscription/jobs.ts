import { shouldAttemptAutomatically } from "../../domain/dunning";
import { creditReturnedOnClose } from "../../domain/invoice";
import { isEnded, renew } from "../../domain/subscription";
import type { Instant } from "../../domain/time";
import { apply, endSubscription } from "./billing";
import { attemptPayment, reconcile } from "./collection";
import type { SubscriptionContext } from "./context";
import type { JobRow } from "./store";
import { announceUpcoming } from "./upcoming";

/** Runs every job due at or before `until`, in time order, each at its own due time. */
export async function settle(ctx: SubscriptionContext, until: Instant): Promise<void> {
  let previous = "";
  for (let guard = 0; guard < 10_000; guard++) {
    const job = ctx.store.nextJob();
    if (!job || job.due_at > until) break;
    const key = `${job.kind}:${job.invoice_id}:${job.due_at}`;
    if (key === previous) {
      // A job that ran and left itself due has nothing left to do: drop it, never spin.
      ctx.transaction(() => ctx.store.unschedule(job.kind, job.invoice_id));
      continue;
    }
    previous = key;
    await runJob(ctx, job);
  }
  await ctx.flushReadModel();
}

async function runJob(ctx: SubscriptionContext, job: JobRow): Promise<void> {
  const at = job.due_at;
  switch (job.kind) {
    case "renew":
      return renewAt(ctx, at);
    case "retry_payment":
      if (!attemptsNow(ctx, job.invoice_id)) {
        ctx.transaction(() => ctx.store.unschedule("retry_payment", job.invoice_id));
        return;
      }
      return attemptPayment(ctx, job.invoice_id, at);
    case "reconcile_payment":
      return reconcile(ctx, job.invoice_id, at);
    case "expire_incomplete":
      return expireIncomplete(ctx, job.invoice_id, at);
    case "invoice_upcoming":
      ctx.transaction(() => announceUpcoming(ctx, at));
      return;
    case "trial_will_end":
      ctx.transaction(() => {
        ctx.store.unschedule("trial_will_end");
        ctx.store.recordEvent("subscription.trial_will_end", ctx.view(), at);
      });
      return;
  }
}

/** Rule 3. Idempotent: the job's time must still be the period end, or it was done. */
export function renewAt(ctx: SubscriptionContext, at: Instant): void {
  ctx.transaction(() => {
    const record = ctx.store.load()!;
    if (record.state.currentPeriodEnd !== at || isEnded(record.state.status)) {
      ctx.store.unschedule("renew");
      return;
    }
    const decision = renew(record.state, ctx.store.pending());
    apply(ctx, decision, at, decision.ok && decision.state.status === "canceled" ? "subscription.canceled" : "subscription.updated");
  });
}

function expireIncomplete(ctx: SubscriptionContext, invoiceId: string, at: Instant): void {
  ctx.transaction(() => {
    ctx.store.unschedule("expire_incomplete", invoiceId);
    const record = ctx.store.load()!;
    const invoice = ctx.store.invoice(invoiceId);
    if (record.state.status !== "incomplete" || invoice?.status !== "open") return;
    ctx.store.updateInvoice(invoiceId, { status: "void", voided_at: at, next_payment_attempt: null });
    ctx.store.unscheduleInvoice(invoiceId);
    ctx.store.saveState({ ...record.state, creditBalance: record.state.creditBalance + creditReturnedOnClose("void", invoice.credit_applied) });
    ctx.store.recordEvent("invoice.voided", ctx.invoiceOf(invoiceId, record), at);
    endSubscription(ctx, ctx.store.load()!.state, "incomplete_expired", at);
  });
}

/** Whether a scheduled attempt on this invoice still runs (rules 9 and 12). */
function attemptsNow(ctx: SubscriptionContext, invoiceId: string): boolean {
  const invoice = ctx.store.invoice(invoiceId);
  if (!invoice) return false;
  return shouldAttemptAutomatically(ctx.store.load()!.state.status, { billingReason: invoice.billing_reason, attemptCount: invoice.attempt_count });
}
