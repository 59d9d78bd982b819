import type { Outcome } from "../../contract/errors";
import type { Idempotency } from "../../contract/idempotency";
import type { Invoice } from "../../contract/invoice";
import type { Subscription } from "../../contract/subscription";
import type { PaymentDetailsCopy } from "../../domain/payment-details";
import type { Instant } from "../../domain/time";
import type { Config } from "../config";
import type { Env } from "../env";
import type { SubscriptionRecord, SubscriptionStore } from "./store";

/**
 * What a write inside an open transaction needs from the subscription actor. It has no
 * `transaction` and nothing async on purpose: code given only this runs wholly inside the
 * caller's transaction, so it can neither commit half a change nor await in the middle of one.
 */
export interface BillingContext {
  readonly store: SubscriptionStore;
  /** The API view of the subscription as it is stored now. */
  view(): Subscription;
  /** The API view of one of its invoices, with its lines. */
  invoiceOf(invoiceId: string, record: SubscriptionRecord): Invoice;
  /** Call inside the transaction of every change that the read model shows. */
  markChanged(): void;
}

/**
 * What collecting payments and running jobs need besides: their own transactions, the
 * gateway and dunning policy, the bindings (the customer's payment method), the read model.
 */
export interface SubscriptionContext extends BillingContext {
  readonly env: Env;
  /** The environment's configuration: the dunning policy and the payment gateway. */
  readonly config: Config;
  /** One synchronous SQLite transaction: everything in `fn` commits, or none of it. */
  transaction<T>(fn: () => T): T;
  /**
   * Sends the events and mirrors the summary to KV right after this (not awaited: both are
   * eventually consistent, and the alarm armed with the change retries them).
   */
  publishSoon(): void;
}

/** What a card attempt needs of the customer. */
export interface CustomerPaymentDetails {
  paymentMethod: string | null;
  /** The customer's id at the gateway (its `stripe_customer` metadata), if any. */
  gatewayCustomer: string | null;
}

/**
 * The customer's payment details as of one of its versions (a number that grows with every
 * change of the customer): the subscription keeps the newest copy it was given.
 */
export type VersionedPaymentDetails = PaymentDetailsCopy;

/**
 * What a request needs besides: the actor's idempotency (`idempotent` around the whole
 * request, `commit` for its final write), "now", and the subscription the request names.
 */
export interface RequestContext extends SubscriptionContext {
  idempotent<T>(
    idem: Idempotency | null,
    operation: () => Promise<Outcome<T>> | Outcome<T>,
  ): Promise<Outcome<T> & { replayed?: boolean }>;
  commit<T>(idem: Idempotency | null, write: () => Outcome<T>): Outcome<T>;
  /** The subscription's time (its test clock's, or the platform's). Reads only. */
  clockNow(testClock: string | null): Promise<Instant>;
  /** The stored subscription if it is `id`, else null. */
  loadFor(id: string): SubscriptionRecord | null;
}
