import type { Instant } from "./time";

// A customer's create or update as one decision: its new fields, whether `customer.created` /
// `customer.updated` is recorded and when, and whether its payment details are owed to every
// subscription. The customer actor writes it with one `persist` in one transaction.

/** Customer metadata naming the customer at the gateway (a Stripe `cus_…` id). */
export const GATEWAY_CUSTOMER_METADATA_KEY = "stripe_customer";

export interface CustomerFields {
  email: string | null;
  name: string | null;
  paymentMethod: string | null;
  metadata: Record<string, string>;
}

/** The patch, its metadata already merged (and checked) into the customer's. */
interface CustomerPatch {
  email?: string | null;
  name?: string | null;
  paymentMethod?: string | null;
  metadata: Record<string, string>;
}

export interface CustomerDecision {
  customer: CustomerFields;
  /** Set for a create: the row to insert (ids and the test clock come in as arguments). */
  create?: { id: string; testClock: string | null; created: Instant };
  /** `customer.created` or `customer.updated`, dated `at`; null when nothing changed. */
  event: { type: "customer.created" | "customer.updated"; at: Instant } | null;
  /**
   * The payment details are owed to every subscription (a new payment method or gateway
   * customer, or a payment method set again); `retry`: each retries its open invoices.
   */
  push: { retry: boolean } | null;
}

/** What a card attempt charges, as the customer holds it. */
export function paymentDetailsOf(customer: CustomerFields): {
  paymentMethod: string | null;
  gatewayCustomer: string | null;
} {
  return {
    paymentMethod: customer.paymentMethod,
    gatewayCustomer: customer.metadata[GATEWAY_CUSTOMER_METADATA_KEY] ?? null,
  };
}

/** A new customer, `customer.created` dated `at` (it has no subscription to push to yet). */
export function decideCustomerCreate(
  id: string,
  testClock: string | null,
  customer: CustomerFields,
  at: Instant,
): CustomerDecision {
  return { customer, create: { id, testClock, created: at }, event: { type: "customer.created", at }, push: null };
}

/**
 * A PATCH of the customer. `at` is the customer's time: its test clock's frozen time when it
 * is on one, else now (events are dated in the customer's time, like the subscription's).
 */
export function decideCustomerUpdate(before: CustomerFields, patch: CustomerPatch, at: Instant): CustomerDecision {
  const customer: CustomerFields = {
    email: patch.email !== undefined ? patch.email : before.email,
    name: patch.name !== undefined ? patch.name : before.name,
    paymentMethod: patch.paymentMethod !== undefined ? patch.paymentMethod : before.paymentMethod,
    metadata: patch.metadata,
  };
  const changed =
    customer.email !== before.email ||
    customer.name !== before.name ||
    customer.paymentMethod !== before.paymentMethod ||
    JSON.stringify(customer.metadata) !== JSON.stringify(before.metadata);
  const was = paymentDetailsOf(before);
  const is = paymentDetailsOf(customer);
  const owed =
    was.paymentMethod !== is.paymentMethod || was.gatewayCustomer !== is.gatewayCustomer || !!patch.paymentMethod;
  return {
    customer,
    event: changed ? { type: "customer.updated", at } : null,
    push: owed ? { retry: !!patch.paymentMethod } : null,
  };
}

/** While a payment-details push is owed, the alarm tries again this soon (ms). */
const PAYMENT_PUSH_RETRY_MS = 10_000;

/** When the customer's alarm next pushes its payment details (ms): soon while a push is owed, else never. */
export function paymentPushRetryAt(owed: boolean, nowMs: number): number | null {
  return owed ? nowMs + PAYMENT_PUSH_RETRY_MS : null;
}

/** A subscription the push does not find yet may still be being created for this long (ms). */
const PUSH_NOT_FOUND_GRACE_MS = 60_000;

/**
 * Whether one subscription has its payment-details push: it answered, or it is not found and
 * its reference is over a minute old (a create still running stores the details it read when
 * it registered, and this push must not be lost to it).
 */
export function pushDelivered(answer: "ok" | "not_found" | "failed", refCreatedMs: number, nowMs: number): boolean {
  return answer === "ok" || (answer === "not_found" && refCreatedMs < nowMs - PUSH_NOT_FOUND_GRACE_MS);
}
