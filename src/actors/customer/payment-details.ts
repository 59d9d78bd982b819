import type { Customer } from "../../contract/customer";
import { GATEWAY_CUSTOMER_METADATA_KEY } from "../../payments/gateway";
import { subscriptionStub } from "../stubs";
import type { CustomerPaymentDetails, VersionedPaymentDetails } from "../subscription/context";
import type { CustomerContext } from "./context";
import type { SubscriptionRef } from "./subscription-refs";

// A versioned copy of the payment details on each subscription. A renewal charges the copy
// its subscription holds, with no round trip here. Every change is owed to every subscription
// (`_meta.payment_push` = the version owed, written with the change), pushed right after the
// commit and again by the alarm until all have it. A copy carries the customer's version, so a
// late or repeated push never replaces a newer one.

/** While a payment-details push is owed, the alarm tries again this soon. */
export const PAYMENT_PUSH_RETRY_MS = 10_000;

/** What a card attempt charges, as the customer holds it. */
export function paymentDetailsOf(customer: Customer): CustomerPaymentDetails {
  return {
    paymentMethod: customer.payment_method,
    gatewayCustomer: customer.metadata[GATEWAY_CUSTOMER_METADATA_KEY] ?? null,
  };
}

/** The payment details as of now, with the version they belong to. */
export function versionedPaymentDetails(ctx: CustomerContext, customer: Customer): VersionedPaymentDetails {
  return { ...paymentDetailsOf(customer), version: ctx.version() };
}

/** Inside the change's transaction: `version` is owed to every subscription (`retry`: a new payment method). */
export function owePaymentDetails(ctx: CustomerContext, version: number, retry: boolean): void {
  ctx.query(
    "INSERT INTO _meta (key, value) VALUES ('payment_push', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    version,
  );
  // Kept until the push that carries it succeeds: two changes before one push retry once.
  if (retry)
    ctx.query(
      "INSERT INTO _meta (key, value) VALUES ('payment_push_retry', 1) ON CONFLICT(key) DO UPDATE SET value = 1",
    );
}

export function owedPaymentPush(ctx: CustomerContext): { version: number; retry: boolean } | null {
  const rows = ctx.query<{ key: string; value: number }>(
    "SELECT key, value FROM _meta WHERE key IN ('payment_push', 'payment_push_retry')",
  );
  const version = rows.find((r) => r.key === "payment_push")?.value;
  if (!version) return null;
  return { version, retry: rows.some((r) => r.key === "payment_push_retry" && r.value === 1) };
}

/** The push of an owed version to every subscription; one per actor (pushes never overlap). */
export class PaymentDetailsPush {
  private pushing: Promise<void> | null = null;

  constructor(private readonly ctx: CustomerContext) {}

  /**
   * Pushes the current details to every subscription while a push is owed. API.md §3: after a
   * new payment method each subscription retries its open invoices at once (it decides which).
   * A subscription not found is done only once its reference is a minute old: a create still
   * running stores the details it read when it registered, and this push must not be lost to it.
   */
  async run(): Promise<void> {
    const ctx = this.ctx;
    if (this.pushing) await this.pushing.catch(() => undefined);
    const owed = owedPaymentPush(ctx);
    const customer = ctx.load();
    if (!owed || !customer) return;
    const details = versionedPaymentDetails(ctx, customer);
    const refs = ctx.query<SubscriptionRef>("SELECT id, created_ms FROM subscription_ref");
    this.pushing = (async () => {
      const done = await Promise.all(
        refs.map(async (ref) => {
          try {
            const outcome = await subscriptionStub(ctx.env, ref.id)?.paymentDetailsChanged(ref.id, details, owed.retry);
            return !!outcome && (outcome.ok || (outcome.status === 404 && ref.created_ms < Date.now() - 60_000));
          } catch (error) {
            console.warn(`payment details of ${customer.id} not yet pushed to ${ref.id}; the alarm will retry`, error);
            return false;
          }
        }),
      );
      if (!done.every(Boolean)) return;
      // Settled only if no newer change became owed meanwhile (its own push follows).
      ctx.transaction(() => {
        if (owedPaymentPush(ctx)?.version !== owed.version) return;
        ctx.query("DELETE FROM _meta WHERE key IN ('payment_push', 'payment_push_retry')");
      });
    })();
    try {
      await this.pushing;
    } finally {
      this.pushing = null;
    }
  }
}
