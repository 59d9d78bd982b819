import type { Outcome } from "../../contract/errors";
import { failure, notFound, ok } from "../../contract/errors";
import type { Invoice } from "../../contract/invoice";
import type { Subscription } from "../../contract/subscription";
import { decideAttemptFailed, decidePaymentReceived } from "../../domain/collection";
import { retriesOnNewPaymentMethod } from "../../domain/dunning";
import { amountRemaining } from "../../domain/invoice";
import type { PaymentFacts } from "../../domain/payment-races";
import {
  decideFailureOffSchedule,
  decideLateSuccess,
  scheduledAttemptNumber,
  settlementOf,
} from "../../domain/payment-races";
import type { Instant } from "../../domain/time";
import type { ChargeRequest, ChargeResult } from "../../payments/gateway";
import type { Idempotency } from "../actor";
import { customerStub } from "../stubs";
import type { CustomerPaymentDetails, RequestContext, SubscriptionContext, VersionedPaymentDetails } from "./context";
import { runJobsDue, timeAfterDueJobs } from "./jobs";
import { invoiceFacts, loadLedger, persist } from "./persist";
import type { PaymentRow } from "./store";
import { subscriptionView } from "./views";

/** A pending card payment is reconciled through the gateway if its result never came back. */
const RECONCILE_AFTER_SECONDS = 300;
/** Gateways forget idempotency keys after a day (Stripe: 24 h); we stop re-asking before. */
const RECONCILE_WINDOW_SECONDS = 23 * 3_600;

// Collecting invoices through the gateway: the requests that start an attempt or bring its
// result, then the attempt itself, reconciliation, and dunning after a failure.

/** POST /v1/invoices/{id}/pay: one attempt now with the customer's payment method. */
export async function pay(ctx: RequestContext, invoiceId: string, idem: Idempotency | null): Promise<Outcome<Invoice>> {
  return ctx.idempotent(idem, async () => {
    const record = ctx.store.load();
    const invoice = ctx.store.invoice(invoiceId);
    if (!record || !invoice) return notFound("invoice", invoiceId);
    if (invoice.status !== "open")
      return failure(400, "invoice_not_open", `The invoice is ${invoice.status}; only an open invoice can be paid.`);
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
 * invoices at once (API.md §3).
 */
export async function paymentDetailsChanged(
  ctx: RequestContext,
  id: string,
  details: VersionedPaymentDetails,
  retry: boolean,
): Promise<Outcome<Subscription>> {
  const record = ctx.loadFor(id);
  if (!record) return notFound("subscription", id);
  const kept = ctx.transaction(() => ctx.store.setPaymentDetails(details));
  // A push repeated by the customer's alarm (another subscription had not acknowledged it)
  // finds its version already here: the retry it asks for was made the first time.
  if (!kept || !retry || !retriesOnNewPaymentMethod(record.state.status)) return ok(subscriptionView(record));
  const open = ctx.store.openInvoices();
  const now = await timeAfterDueJobs(ctx, record.testClock);
  for (const invoice of open) await attemptPayment(ctx, invoice.id, now, invoice.attempt_count, true);
  await runJobsDue(ctx, now);
  return ok(ctx.view());
}

/**
 * An asynchronous gateway result (a Stripe webhook) for the attempt made under
 * `gatewayKey`. Applied once: duplicates and late, out-of-order deliveries change nothing.
 */
export async function applyGatewayResult(
  ctx: RequestContext,
  invoiceId: string,
  gatewayKey: string,
  result: ChargeResult,
): Promise<Outcome<{ applied: boolean }>> {
  const record = ctx.store.load();
  const find = () => (record ? ctx.store.payments(invoiceId).find((p) => p.gateway_key === gatewayKey) : undefined);
  if (!record || !find()) return notFound("payment", gatewayKey);
  const at = await timeAfterDueJobs(ctx, record.testClock);
  // Read after the await: a reconcile that ran meanwhile may have settled it already.
  const payment = find()!;
  const applied = payment.status === "pending" && result.status !== "pending";
  applyChargeResult(ctx, payment.id, result, at);
  ctx.publishSoon();
  return ok({ applied });
}

/**
 * One gateway attempt. Phase 1 records a pending payment and a reconcile job; phase 2 calls
 * the gateway with a key unique to the invoice and attempt; phase 3 records the result.
 * If the actor dies between 1 and 3, the reconcile job asks the gateway again under the
 * same key, which never charges twice.
 */
export async function attemptPayment(
  ctx: SubscriptionContext,
  invoiceId: string,
  at: Instant,
  seenAttempts?: number,
  onRequest = false,
): Promise<void> {
  const record = ctx.store.load()!;
  // The attempt count this caller saw before any await: if another attempt ran meanwhile,
  // this one is a duplicate and is dropped (two concurrent /pay calls make one attempt).
  const expected = seenAttempts ?? ctx.store.invoice(invoiceId)?.attempt_count;
  const { paymentMethod, gatewayCustomer } =
    ctx.store.paymentDetails() ?? (await readCustomerPaymentDetails(ctx, record.customer));
  const prepared = ctx.transaction(() => {
    const invoice = ctx.store.invoice(invoiceId);
    if (invoice?.status !== "open") {
      ctx.store.unschedule("retry_payment", invoiceId);
      return null;
    }
    if (invoice.attempt_count !== expected) return null;
    if (ctx.store.payments(invoiceId).some((p) => p.status === "pending")) {
      // A scheduled attempt finds one on request still pending: try again once it settled,
      // never drop the rung.
      if (!onRequest) ctx.store.schedule("retry_payment", at + RECONCILE_AFTER_SECONDS, invoiceId);
      return null;
    }
    const attempt = invoice.attempt_count + 1;
    const amount = amountRemaining(invoice.status, invoice.amount_due, invoice.amount_paid);
    const key = `${invoiceId}:attempt:${attempt}`;
    if (onRequest) {
      // Counted and listed, but the schedule (its next rung, its final action) stays as it is.
      ctx.store.updateInvoice(invoiceId, { attempt_count: attempt });
    } else {
      ctx.store.unschedule("retry_payment", invoiceId);
      ctx.store.updateInvoice(invoiceId, { attempt_count: attempt, next_payment_attempt: null });
    }
    const paymentId = ctx.store.insertPayment({
      invoice_id: invoiceId,
      amount,
      currency: invoice.currency,
      status: "pending",
      method: "card",
      failure_code: null,
      failure_message: null,
      attempt,
      reference: null,
      gateway_key: key,
      gateway_reference: null,
      created: at,
      payment_method: paymentMethod,
      gateway_customer: gatewayCustomer,
      on_request: onRequest ? 1 : 0,
    });
    ctx.store.schedule("reconcile_payment", at + RECONCILE_AFTER_SECONDS, invoiceId);
    return { paymentId, amount, key, currency: invoice.currency };
  });
  if (!prepared) return;
  const result = await chargeOrPending(ctx, {
    invoiceId,
    customerId: record.customer,
    paymentMethod,
    gatewayCustomer,
    amount: prepared.amount,
    currency: prepared.currency,
    idempotencyKey: prepared.key,
  });
  applyChargeResult(ctx, prepared.paymentId, result, at);
}

/**
 * The customer's payment method and gateway id, read from its actor now: only for a
 * subscription created before the customer pushed copies (no copy yet). The versioned answer
 * is kept, so this happens once; pushes newer than it replace it.
 */
export async function readCustomerPaymentDetails(
  ctx: SubscriptionContext,
  customerId: string,
): Promise<CustomerPaymentDetails> {
  const details = await customerStub(ctx.env, customerId)?.paymentDetails(customerId);
  if (!details?.ok) return { paymentMethod: null, gatewayCustomer: null };
  ctx.transaction(() => ctx.store.setPaymentDetails(details.value));
  return details.value;
}

/** A gateway call that throws leaves the attempt pending, for the reconcile job to ask again. */
async function chargeOrPending(ctx: SubscriptionContext, request: ChargeRequest): Promise<ChargeResult> {
  try {
    return await ctx.config.gateway.charge(request);
  } catch (error) {
    console.warn(`gateway ${ctx.config.gateway.name} failed for ${request.idempotencyKey}; will reconcile`, error);
    return { status: "pending", reference: null };
  }
}

/**
 * Asks the gateway again, under the same key, about a payment whose result was lost: exactly
 * the first request (same key, amount and payment method), which the gateway answers from
 * its idempotency cache. Stripe keeps keys for 24 hours, so after
 * RECONCILE_WINDOW_SECONDS we stop asking (a new request could charge twice) and leave the
 * payment pending for the webhook, or for an operator to void or settle the invoice.
 */
export async function reconcile(ctx: SubscriptionContext, invoiceId: string, at: Instant): Promise<void> {
  const pending = ctx.store
    .payments(invoiceId)
    .filter((p) => p.status === "pending" && p.method === "card" && at - p.created < RECONCILE_WINDOW_SECONDS);
  if (pending.length === 0) {
    ctx.transaction(() => ctx.store.unschedule("reconcile_payment", invoiceId));
    return;
  }
  const record = ctx.store.load()!;
  for (const payment of pending) {
    const result = await chargeOrPending(ctx, {
      invoiceId,
      customerId: record.customer,
      paymentMethod: payment.payment_method,
      gatewayCustomer: payment.gateway_customer,
      amount: payment.amount,
      currency: payment.currency,
      idempotencyKey: payment.gateway_key!,
    });
    applyChargeResult(ctx, payment.id, result, at);
  }
}

/** Records a gateway result exactly once: a payment that is no longer pending is left alone. */
export function applyChargeResult(
  ctx: SubscriptionContext,
  paymentId: string,
  result: ChargeResult,
  at: Instant,
): void {
  ctx.transaction(() => {
    const payment = ctx.store.payment(paymentId);
    if (payment?.status !== "pending") return;
    if (result.status === "pending") {
      ctx.store.schedule("reconcile_payment", at + RECONCILE_AFTER_SECONDS, payment.invoice_id);
      return;
    }
    ctx.store.unschedule("reconcile_payment", payment.invoice_id);
    const row = ctx.store.invoice(payment.invoice_id)!;
    const invoice = invoiceFacts(row);
    const settlement = settlementOf(result.status, row.status);
    if (settlement === "credit") {
      ctx.store.settlePayment(paymentId, {
        status: "succeeded",
        failure_code: null,
        failure_message: null,
        gateway_reference: result.reference,
      });
      persist(ctx, decidePaymentReceived(loadLedger(ctx), invoice, paymentId, payment.amount, at), at);
      return;
    }
    if (settlement === "refund") {
      // The invoice was closed meanwhile: the money goes back (refund_payment job), and the
      // invoice is neither paid twice nor reopened.
      ctx.store.settlePayment(paymentId, {
        status: "refunded",
        failure_code: null,
        failure_message: null,
        gateway_reference: result.reference,
      });
      persist(ctx, decideLateSuccess(loadLedger(ctx), payment.invoice_id, at), at);
      return;
    }
    const failed = result as Extract<ChargeResult, { status: "failed" }>;
    ctx.store.settlePayment(paymentId, {
      status: "failed",
      failure_code: failed.code,
      failure_message: failed.message,
      gateway_reference: failed.reference,
    });
    if (settlement === "fail_closed" || payment.on_request === 1) {
      persist(ctx, decideFailureOffSchedule(loadLedger(ctx), payment.invoice_id, paymentId, settlement === "fail"), at);
      return;
    }
    const rung = scheduledAttemptNumber(ctx.store.payments(payment.invoice_id).map(factsOf));
    persist(ctx, decideAttemptFailed(ctx.config.dunning, loadLedger(ctx), invoice, paymentId, rung, at), at);
  });
}

function factsOf(p: PaymentRow): PaymentFacts {
  return { status: p.status, method: p.method, onRequest: p.on_request === 1 };
}

/**
 * Gives back, through the gateway, the payments that succeeded on an invoice already closed.
 * Under one key per payment, so a run that dies after the gateway answered refunds once.
 */
export async function refundPayments(ctx: SubscriptionContext, invoiceId: string, at: Instant): Promise<void> {
  for (const payment of ctx.store.refundsDue(invoiceId)) {
    try {
      const refund = await ctx.config.gateway.refund({
        invoiceId,
        chargeReference: payment.gateway_reference ?? payment.gateway_key!,
        amount: payment.amount,
        currency: payment.currency,
        idempotencyKey: `${payment.gateway_key}:refund`,
      });
      ctx.transaction(() => ctx.store.recordRefund(payment.id, refund.reference));
    } catch (error) {
      console.warn(`gateway ${ctx.config.gateway.name} could not refund ${payment.id}; will retry`, error);
      ctx.transaction(() => ctx.store.schedule("refund_payment", at + RECONCILE_AFTER_SECONDS, invoiceId));
      return;
    }
  }
  ctx.transaction(() => ctx.store.unschedule("refund_payment", invoiceId));
}
