import { pushDelivered } from "../../domain/customer";
import type { Query } from "../../lib/sql";
import type { Env } from "../env";
import { subscriptionStub } from "../stubs";
import type { VersionedPaymentDetails } from "../subscription/context";

// The customer's payment details, a versioned copy on each subscription. A renewal charges the
// copy its subscription holds, with no round trip to the customer. Every change is owed to
// every subscription (`_meta.payment_push` = the version owed, written with the change), pushed
// right after the commit and again by the alarm until all have it. A copy carries the
// customer's version, so a late or repeated push never replaces a newer one.

interface PaymentPushHost {
  query: Query;
  transaction<T>(fn: () => T): T;
  /** Read at each push (never kept: the actor's bindings are its own). */
  env(): Env;
  /** The customer's id and its payment details as of now; null before it exists. */
  current(): { id: string; details: VersionedPaymentDetails } | null;
}

/** A subscription of this customer, and when it registered (ms). */
export interface SubscriptionRef {
  id: string;
  created_ms: number;
}

export class PaymentPush {
  private pushing: Promise<void> | null = null;

  constructor(private readonly host: PaymentPushHost) {}

  /** Inside the change's transaction: `version` is owed to every subscription (`retry`: a new payment method). */
  owe(version: number, retry: boolean): void {
    this.host.query(
      "INSERT INTO _meta (key, value) VALUES ('payment_push', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      version,
    );
    // Kept until the push that carries it succeeds: two changes before one push retry once.
    if (retry)
      this.host.query(
        "INSERT INTO _meta (key, value) VALUES ('payment_push_retry', 1) ON CONFLICT(key) DO UPDATE SET value = 1",
      );
  }

  owed(): { version: number; retry: boolean } | null {
    const rows = this.host.query<{ key: string; value: number }>(
      "SELECT key, value FROM _meta WHERE key IN ('payment_push', 'payment_push_retry')",
    );
    const version = rows.find((r) => r.key === "payment_push")?.value;
    if (!version) return null;
    return { version, retry: rows.some((r) => r.key === "payment_push_retry" && r.value === 1) };
  }

  /**
   * Pushes the current details to every subscription while a push is owed. docs/billing-rules.md, Endpoints: after a
   * new payment method each subscription retries its open invoices at once (it decides which).
   * A subscription not found is done only once its reference is a minute old: a create still
   * running stores the details it read when it registered, and this push must not be lost to it.
   */
  async push(): Promise<void> {
    if (this.pushing) await this.pushing.catch(() => undefined);
    const owed = this.owed();
    const customer = this.host.current();
    if (!owed || !customer) return;
    const { details } = customer;
    const refs = this.host.query<SubscriptionRef>("SELECT id, created_ms FROM subscription_ref");
    this.pushing = (async () => {
      const done = await Promise.all(
        refs.map(async (ref) => {
          try {
            const outcome = await subscriptionStub(this.host.env(), ref.id)?.paymentDetailsChanged(
              ref.id,
              details,
              owed.retry,
            );
            const answer = !outcome ? "failed" : outcome.ok ? "ok" : outcome.status === 404 ? "not_found" : "failed";
            return pushDelivered(answer, ref.created_ms, Date.now());
          } catch (error) {
            console.warn(`payment details of ${customer.id} not yet pushed to ${ref.id}; the alarm will retry`, error);
            return false;
          }
        }),
      );
      if (!done.every(Boolean)) return;
      // Settled only if no newer change became owed meanwhile (its own push follows).
      this.host.transaction(() => {
        if (this.owed()?.version !== owed.version) return;
        this.host.query("DELETE FROM _meta WHERE key IN ('payment_push', 'payment_push_retry')");
      });
    })();
    try {
      await this.pushing;
    } finally {
      this.pushing = null;
    }
  }
}
