import type { BillingReason } from "./invoice";
import type { DunningPolicy } from "./retry-schedule";
import { INCOMPLETE_EXPIRY_SECONDS, nextAttemptAt } from "./retry-schedule";
import type { SubscriptionStatus } from "./subscription";
import { isEnded } from "./subscription";
import type { Instant } from "./time";

export interface FailedAttempt {
  status: SubscriptionStatus;
  /** The invoice that opened the subscription (no trial): rule 9's "first invoice". */
  isFirstInvoice: boolean;
  invoiceCreated: Instant;
  /** 1-based number of the attempt that failed. */
  attempt: number;
  failedAt: Instant;
}

interface DunningStep {
  status: SubscriptionStatus;
  /** When to try this invoice again; null stops its retries. */
  nextAttemptAt: Instant | null;
  /** For an incomplete subscription: when its first invoice expires. */
  expireAt: Instant | null;
  /** True when the final action ends the subscription now. */
  ends: boolean;
}

/**
 * docs/billing-rules.md rule 9, after a failed attempt. The first invoice of a subscription without a
 * trial makes it incomplete (no schedule, 23 h to pay); other invoices walk the retry
 * ladder, and after the last attempt the final action decides.
 */
export function afterFailedAttempt(policy: DunningPolicy, failure: FailedAttempt): DunningStep {
  if (isEnded(failure.status)) return { status: failure.status, nextAttemptAt: null, expireAt: null, ends: false };
  if (failure.isFirstInvoice && (failure.status === "active" || failure.status === "incomplete")) {
    return {
      status: "incomplete",
      nextAttemptAt: null,
      expireAt: failure.invoiceCreated + INCOMPLETE_EXPIRY_SECONDS,
      ends: false,
    };
  }
  // While unpaid (the final action), nothing is attempted automatically until the customer pays.
  if (failure.status === "unpaid") return { status: "unpaid", nextAttemptAt: null, expireAt: null, ends: false };
  const next = nextAttemptAt(policy, failure.attempt, failure.failedAt);
  if (next !== null) {
    return { status: "past_due", nextAttemptAt: next, expireAt: null, ends: false };
  }
  switch (policy.finalAction) {
    case "cancel":
      return { status: "canceled", nextAttemptAt: null, expireAt: null, ends: true };
    case "unpaid":
      return { status: "unpaid", nextAttemptAt: null, expireAt: null, ends: false };
    case "past_due":
      return { status: "past_due", nextAttemptAt: null, expireAt: null, ends: false };
  }
}

/** After a payment: active again once nothing is left open (rule 9). */
export function statusAfterPayment(status: SubscriptionStatus, openInvoicesLeft: number): SubscriptionStatus {
  if (openInvoicesLeft > 0) return status;
  return status === "past_due" || status === "unpaid" || status === "incomplete" ? "active" : status;
}

/**
 * After an invoice is voided or marked uncollectible. Closing the first invoice of an
 * incomplete subscription ends it (`incomplete_expired`: that invoice was all it owed);
 * otherwise it is as after a payment.
 */
export function statusAfterClosing(
  status: SubscriptionStatus,
  isFirstInvoice: boolean,
  openInvoicesLeft: number,
): SubscriptionStatus {
  if (status === "incomplete" && isFirstInvoice) return "incomplete_expired";
  return statusAfterPayment(status, openInvoicesLeft);
}

/** A new payment method retries, at once, the open invoices of these (docs/billing-rules.md, Endpoints). */
export function retriesOnNewPaymentMethod(status: SubscriptionStatus): boolean {
  return status === "past_due" || status === "unpaid" || status === "incomplete";
}

/**
 * No automatic attempt while unpaid (final action `unpaid`) or once ended, except the one
 * attempt a final invoice gets (rule 12: attempted once, never retried).
 */
export function shouldAttemptAutomatically(
  status: SubscriptionStatus,
  invoice?: { billingReason: BillingReason; attemptCount: number },
): boolean {
  if (invoice?.billingReason === "subscription_final") return invoice.attemptCount === 0;
  // Rule 14g: late usage of an ended subscription is invoiced at once and attempted once.
  if (invoice?.billingReason === "manual" && isEnded(status)) return invoice.attemptCount === 0;
  return status !== "unpaid" && !isEnded(status);
}
