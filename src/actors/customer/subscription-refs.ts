import type { Outcome } from "../../contract/errors";
import { notFound, ok } from "../../contract/errors";
import type { VersionedPaymentDetails } from "../subscription/context";
import type { CustomerContext } from "./context";
import { customerNamed } from "./context";
import { lastEventSeq } from "./meter-events";
import { versionedPaymentDetails } from "./payment-details";
import type { SubscriptionRef } from "./payment-push";

// The index of the customer's subscriptions: what makes `GET /v1/customers/{id}/subscriptions`
// (and `/invoices`) strongly consistent.

/** What a subscription being created is answered when it registers. */
export interface Registration {
  /** The customer's test clock, if any: the subscription runs on it. */
  testClock: string | null;
  /** The payment details as of now (every later change is pushed). */
  details: VersionedPaymentDetails;
}

/** Records that a subscription belongs to this customer (idempotent); answers its clock and payment details as of now. */
export function addSubscription(ctx: CustomerContext, customerId: string, ref: SubscriptionRef): Outcome<Registration> {
  const customer = customerNamed(ctx, customerId);
  if (!customer) return notFound("customer", customerId, "customer");
  // Its usage starts with the events to come: those already recorded predate it (rule 14b).
  ctx.query(
    "INSERT OR IGNORE INTO subscription_ref (id, created_ms, usage_acked) VALUES (?, ?, ?)",
    ref.id,
    ref.created_ms,
    lastEventSeq(ctx.meterEvents),
  );
  return ok({ testClock: customer.test_clock, details: versionedPaymentDetails(ctx, customer) });
}

/** Takes back the registration of a create that was refused (the subscription does not exist). */
export function removeSubscription(ctx: CustomerContext, customerId: string, subscriptionId: string): void {
  if (!customerNamed(ctx, customerId)) return;
  ctx.query("DELETE FROM subscription_ref WHERE id = ?", subscriptionId);
}

/** A page of this customer's subscription ids, newest first; the cursor is the last id seen. */
export function subscriptionIds(
  ctx: CustomerContext,
  customerId: string,
  limit: number,
  after: string | null,
): Outcome<{ ids: string[]; hasMore: boolean }> {
  if (!customerNamed(ctx, customerId)) return notFound("customer", customerId);
  const rows = after
    ? ctx.query<{ id: string }>(
        "SELECT id FROM subscription_ref WHERE id < ? ORDER BY id DESC LIMIT ?",
        after,
        limit + 1,
      )
    : ctx.query<{ id: string }>("SELECT id FROM subscription_ref ORDER BY id DESC LIMIT ?", limit + 1);
  return ok({ ids: rows.slice(0, limit).map((r) => r.id), hasMore: rows.length > limit });
}

/** Every subscription id of this customer (for fan-out reads such as its invoices). */
export function allSubscriptionIds(ctx: CustomerContext, customerId: string): Outcome<string[]> {
  if (!customerNamed(ctx, customerId)) return notFound("customer", customerId);
  return ok(ctx.query<{ id: string }>("SELECT id FROM subscription_ref ORDER BY id DESC").map((r) => r.id));
}
