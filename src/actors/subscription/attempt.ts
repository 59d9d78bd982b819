import { ulid } from "ulid";
import type { Decision } from "../../domain/decision";
import {
  attemptIsPaced,
  decideAttempt,
  decideChargeWaitsForSlot,
  withFirstAttempt,
} from "../../domain/payment-attempt";
import { decidePaymentDetailsCopy } from "../../domain/payment-details";
import type { ChargeOrder } from "../../domain/payment-records";
import type { Instant } from "../../domain/time";
import type { ChargeResult } from "../../payments/gateway";
import { customerStub } from "../stubs";
import type { CustomerPaymentDetails, SubscriptionContext, VersionedPaymentDetails } from "./context";
import { applyChargeResult } from "./gateway-results";
import { gatewaySlot } from "./pacing";
import { invoiceFacts, loadLedger, paymentRecord, paymentRecords, persist } from "./persist";

/**
 * One gateway attempt. Phase 1 writes `decideAttempt` (a pending payment and a reconcile job);
 * phase 2 calls the gateway with a key unique to the invoice and attempt; phase 3 writes
 * `decideChargeResult`. If the actor dies between 1 and 3, the reconcile job asks the gateway
 * again under the same key, which never charges twice.
 */
export async function attemptPayment(
  ctx: SubscriptionContext,
  invoiceId: string,
  at: Instant,
  seenAttempts?: number,
  onRequest = false,
): Promise<void> {
  const record = ctx.store.load()!;
  // The attempt count this caller saw before any await (decideAttempt drops a duplicate).
  const expectedAttempts = seenAttempts ?? ctx.store.invoice(invoiceId)?.attempt_count;
  const { paymentMethod, gatewayCustomer } =
    ctx.store.paymentDetails() ?? (await readCustomerPaymentDetails(ctx, record.customer));
  const charge = ctx.transaction(() => {
    const row = ctx.store.invoice(invoiceId);
    const { decision, charge } = decideAttempt(loadLedger(ctx), {
      invoiceId,
      invoice: row && invoiceFacts(row),
      payments: paymentRecords(ctx, invoiceId),
      expectedAttempts,
      onRequest,
      paymentMethod,
      gatewayCustomer,
      paymentId: `pay_${ulid()}`,
      at,
    });
    persist(ctx, decision, at);
    return charge;
  });
  if (!charge) return;
  const result = await chargeOrPending(ctx, record.customer, charge);
  applyChargeResult(ctx, charge, result, at);
}

/**
 * The first attempt of an invoice `decision` issues, made in the issuing transaction
 * (`withFirstAttempt`) when the subscription holds its payment details (no call to the
 * customer); otherwise the decision keeps its `retry_payment` job and the job makes the
 * attempt. Call inside the transaction; send the charge with `sendFirstCharge`.
 */
export function withFirstAttemptNow(
  ctx: SubscriptionContext,
  decision: Decision,
  invoiceIds: readonly string[],
  at: Instant,
  /** A create's, which has no row yet to read them from (the customer answered them). */
  details: CustomerPaymentDetails | null = ctx.store.paymentDetails(),
): { decision: Decision; charge: ChargeOrder | null } {
  if (!details) return { decision, charge: null };
  return withFirstAttempt(decision, {
    invoiceIds,
    paymentMethod: details.paymentMethod,
    gatewayCustomer: details.gatewayCustomer,
    paymentId: `pay_${ulid()}`,
    at,
  });
}

/**
 * Sends the first charge of a renewal or a create, written as a pending payment in its transaction. Where
 * attempts are paced and its slot is later, the payment's reconcile moves to the slot
 * (`decideChargeWaitsForSlot`) and sends the request then; else the charge goes now.
 */
export async function sendFirstCharge(ctx: SubscriptionContext, charge: ChargeOrder, at: Instant): Promise<void> {
  const invoice = ctx.store.invoice(charge.invoiceId);
  if (ctx.config.pacing && attemptIsPaced(!!ctx.store.load()!.testClock, invoice)) {
    const slot = await gatewaySlot(ctx, charge.idempotencyKey);
    if (slot !== null) {
      ctx.transaction(() => {
        const row = ctx.store.payment(charge.paymentId, charge.invoiceId);
        persist(ctx, decideChargeWaitsForSlot(loadLedger(ctx), row && paymentRecord(row), slot), at);
      });
      return;
    }
  }
  await chargeAndSettle(ctx, charge, at);
}

/** Sends a charge whose pending payment is written, and writes the answer (`decideChargeResult`). */
export async function chargeAndSettle(ctx: SubscriptionContext, charge: ChargeOrder, at: Instant): Promise<void> {
  const result = await chargeOrPending(ctx, ctx.store.load()!.customer, charge);
  applyChargeResult(ctx, charge, result, at);
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
  keepPaymentDetails(ctx, details.value);
  return details.value;
}

/**
 * Keeps `details` as the subscription's copy when they are newer than the one held
 * (`decidePaymentDetailsCopy`), in one transaction; whether they were kept.
 */
export function keepPaymentDetails(ctx: SubscriptionContext, details: VersionedPaymentDetails): boolean {
  return ctx.transaction(() => {
    const kept = decidePaymentDetailsCopy(loadLedger(ctx), ctx.store.paymentDetails(), details);
    // No event and no invoice: nothing written takes its time from `at`.
    if (kept) persist(ctx, kept, ctx.store.load()!.state.currentPeriodStart);
    return kept !== null;
  });
}

/** A gateway call that throws leaves the attempt pending, for the reconcile job to ask again. */
export async function chargeOrPending(
  ctx: SubscriptionContext,
  customerId: string,
  order: ChargeOrder,
): Promise<ChargeResult> {
  try {
    return await ctx.config.gateway.charge({
      invoiceId: order.invoiceId,
      customerId,
      paymentMethod: order.paymentMethod,
      gatewayCustomer: order.gatewayCustomer,
      amount: order.amount,
      currency: order.currency,
      idempotencyKey: order.idempotencyKey,
    });
  } catch (error) {
    console.warn(`gateway ${ctx.config.gateway.name} failed for ${order.idempotencyKey}; will reconcile`, error);
    return { status: "pending", reference: null };
  }
}
