import type { Outcome } from "../../contract/errors";
import { notFound, ok, refused } from "../../contract/errors";
import type { Idempotency } from "../../contract/idempotency";
import type { Invoice } from "../../contract/invoice";
import type { Subscription } from "../../contract/subscription";
import { payRefusal } from "../../domain/collection";
import { retriesOnNewPaymentMethod } from "../../domain/dunning";
import { attemptPayment, keepPaymentDetails } from "./attempt";
import type { RequestContext, VersionedPaymentDetails } from "./context";
import { runJobsDue, timeAfterDueJobs } from "./jobs";
import { invoiceFacts } from "./persist";
import { subscriptionView } from "./views";

// The requests that start an attempt on request: /pay and a new payment method. The attempt
// is attempt.ts; the gateway's answer gateway-results.ts; reconcile.ts and refunds.ts the jobs
// that settle money in flight. Each writes a decision of src/domain (payment-attempt.ts,
// charge-result.ts).

/** POST /v1/invoices/{id}/pay: one attempt now with the customer's payment method. */
export async function pay(ctx: RequestContext, invoiceId: string, idem: Idempotency | null): Promise<Outcome<Invoice>> {
  return ctx.idempotent(idem, async () => {
    const record = ctx.store.load();
    const invoice = ctx.store.invoice(invoiceId);
    if (!record || !invoice) return notFound("invoice", invoiceId);
    const refusal = payRefusal(invoiceFacts(invoice));
    if (refusal) return refused(refusal);
    const seen = invoice.attempt_count;
    const now = await timeAfterDueJobs(ctx, record.testClock);
    await attemptPayment(ctx, invoiceId, now, seen, true);
    // A payment may have released held renewals (rule 9): their first attempts are due now.
    await runJobsDue(ctx, now);
    return ok(ctx.invoiceOf(invoiceId, ctx.store.load()!));
  });
}

/**
 * The customer's payment details changed (pushed by the customer, at least once, newest
 * version wins): keep the copy, and after a new payment method (`retry`) retry the open
 * invoices at once (docs/billing-rules.md, Endpoints).
 */
export async function paymentDetailsChanged(
  ctx: RequestContext,
  id: string,
  details: VersionedPaymentDetails,
  retry: boolean,
): Promise<Outcome<Subscription>> {
  const record = ctx.loadFor(id);
  if (!record) return notFound("subscription", id);
  const kept = keepPaymentDetails(ctx, details);
  // A push repeated by the customer's alarm (another subscription had not acknowledged it)
  // finds its version already here: the retry it asks for was made the first time.
  if (!kept || !retry || !retriesOnNewPaymentMethod(record.state.status)) return ok(subscriptionView(record));
  const open = ctx.store.openInvoices();
  const now = await timeAfterDueJobs(ctx, record.testClock);
  for (const invoice of open) await attemptPayment(ctx, invoice.id, now, invoice.attempt_count, true);
  await runJobsDue(ctx, now);
  return ok(ctx.view());
}
