import Stripe from "stripe";
import type { ChargeRequest, ChargeResult, PaymentGateway, RefundRequest, RefundResult } from "./gateway";

/** Metadata keys put on every PaymentIntent; the webhook routes its events back with them. */
export const INVOICE_METADATA_KEY = "billify_invoice";
export const ATTEMPT_METADATA_KEY = "billify_key";

interface StripeGatewayOptions {
  /** Retries the SDK makes itself, under the same Idempotency-Key (default 1). */
  maxNetworkRetries?: number;
  /** Per-request timeout in milliseconds (default 20 s: the actor waits on it). */
  timeoutMs?: number;
}

/**
 * Charges through Stripe: one confirmed, off-session PaymentIntent per attempt, created with
 * the attempt's idempotency key, so a retry or a later reconcile with the same key is answered
 * from Stripe's idempotency cache and never charges twice.
 *
 * An answer from Stripe is an outcome (succeeded, pending, or failed with Stripe's code); only
 * faults worth retrying throw: network errors, 5xx, rate limits, a bad API key, an idempotency
 * conflict. The actor then keeps the attempt pending and reconciles it later.
 */
export class StripeGateway implements PaymentGateway {
  readonly name = "stripe";
  private readonly stripe: Stripe;

  constructor(secretKey: string, apiBase?: string, options: StripeGatewayOptions = {}) {
    this.stripe = new Stripe(secretKey, {
      httpClient: Stripe.createFetchHttpClient(),
      maxNetworkRetries: options.maxNetworkRetries ?? 1,
      timeout: options.timeoutMs ?? 20_000,
      ...(apiBase ? apiOrigin(apiBase) : {}),
    });
  }

  async knowsPaymentMethod(token: string): Promise<boolean> {
    try {
      await this.stripe.paymentMethods.retrieve(token);
      return true;
    } catch (error) {
      // Only Stripe's own "no such object" is certain; a network fault or outage is not the token's fault.
      return !(error instanceof Stripe.errors.StripeInvalidRequestError && error.code === "resource_missing");
    }
  }

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    if (!request.paymentMethod) {
      return {
        status: "failed",
        code: "no_payment_method",
        message: "The customer has no payment method.",
        reference: null,
      };
    }
    try {
      let intent = await this.stripe.paymentIntents.create(
        {
          amount: request.amount,
          currency: request.currency,
          payment_method: request.paymentMethod,
          ...(request.gatewayCustomer ? { customer: request.gatewayCustomer } : {}),
          allowed_payment_method_types: ["card"],
          confirm: true,
          off_session: true,
          description: `Billify invoice ${request.invoiceId}`,
          metadata: {
            [INVOICE_METADATA_KEY]: request.invoiceId,
            [ATTEMPT_METADATA_KEY]: request.idempotencyKey,
            billify_customer: request.customerId,
          },
        },
        { idempotencyKey: request.idempotencyKey },
      );
      // A replayed create returns the intent as it was then; a reconcile wants it as it is now.
      if (resultOfPaymentIntent(intent).status === "pending")
        intent = await this.stripe.paymentIntents.retrieve(intent.id);
      return resultOfPaymentIntent(intent);
    } catch (error) {
      const declined = declineOf(error);
      if (declined) return declined;
      throw error;
    }
  }

  /**
   * Refunds a PaymentIntent (all of `amount`) under the payment's own key, so a retry after a
   * lost answer is answered from Stripe's idempotency cache and never refunds twice.
   */
  async refund(request: RefundRequest): Promise<RefundResult> {
    let refund: Stripe.Refund;
    try {
      refund = await this.stripe.refunds.create(
        {
          payment_intent: request.chargeReference,
          amount: request.amount,
          reason: "duplicate",
          metadata: { [INVOICE_METADATA_KEY]: request.invoiceId, [ATTEMPT_METADATA_KEY]: request.idempotencyKey },
        },
        { idempotencyKey: request.idempotencyKey },
      );
    } catch (error) {
      // A 4xx other than 429 is Stripe saying no (disputed, already refunded, not refundable):
      // an answer. Anything else (network, 429, 5xx) is a fault, retried under the same key.
      const status = (error as { statusCode?: number }).statusCode;
      if (error instanceof Stripe.errors.StripeError && status && status >= 400 && status < 500 && status !== 429) {
        return { status: "refused", code: error.code ?? error.type, message: error.message };
      }
      throw error;
    }
    if (refund.status === "failed" || refund.status === "canceled") {
      return {
        status: "refused",
        code: refund.failure_reason ?? `refund_${refund.status}`,
        message: `Stripe refund ${refund.id} of ${request.chargeReference} is ${refund.status}.`,
      };
    }
    return { status: refund.status === "succeeded" ? "succeeded" : "pending", reference: refund.id };
  }
}

/** Maps a PaymentIntent's status to the attempt's outcome (used by charge and the webhook). */
function resultOfPaymentIntent(intent: Stripe.PaymentIntent): ChargeResult {
  const reference = intent.id;
  switch (intent.status) {
    case "succeeded":
      return { status: "succeeded", reference };
    case "requires_payment_method": {
      // After a failed confirmation the intent returns to this state with the reason.
      const error = intent.last_payment_error;
      if (!error) return { status: "pending", reference };
      return { status: "failed", code: failureCode(error), message: error.message ?? "The payment failed.", reference };
    }
    case "canceled":
      return {
        status: "failed",
        code: "payment_intent_canceled",
        message: `The PaymentIntent was canceled (${intent.cancellation_reason ?? "no reason"}).`,
        reference,
      };
    default:
      // processing, requires_action, requires_confirmation, requires_capture: not settled yet.
      return { status: "pending", reference };
  }
}

/**
 * The failure code we record: the issuer's specific `decline_code` when there is one
 * (`insufficient_funds`), else Stripe's `code` (`card_declined`). `generic_decline` says no
 * more than `card_declined`, so it maps to that, as the fake gateway answers (docs/billing-rules.md, Payment methods).
 */
export function failureCode(error: { code?: string | null; decline_code?: string | null }): string {
  const decline = error.decline_code;
  if (decline && decline !== "generic_decline") return decline;
  return error.code ?? decline ?? "payment_failed";
}

/**
 * A Stripe answer that settles the attempt as failed: a card error (a decline), or a request
 * Stripe rejected for good (400/402/404, e.g. an unknown payment method or an amount below
 * Stripe's minimum), which no retry under the same key would change. Anything else is a fault.
 */
function declineOf(error: unknown): ChargeResult | null {
  if (!(error instanceof Stripe.errors.StripeError)) return null;
  const permanent =
    error instanceof Stripe.errors.StripeCardError ||
    (error instanceof Stripe.errors.StripeInvalidRequestError && [400, 402, 404].includes(error.statusCode ?? 0));
  if (!permanent) return null;
  return {
    status: "failed",
    code: failureCode(error),
    message: error.message,
    reference: error.payment_intent?.id ?? null,
  };
}

/** `STRIPE_API_BASE` (e.g. `http://127.0.0.1:12111`) as the SDK's host, port and protocol. */
function apiOrigin(apiBase: string): { host: string; port: string; protocol: "http" | "https" } {
  let url: URL;
  try {
    url = new URL(apiBase);
  } catch {
    throw new Error(`STRIPE_API_BASE must be an origin such as https://api.stripe.com; got "${apiBase}"`);
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || (url.pathname !== "/" && url.pathname !== "")) {
    throw new Error(
      `STRIPE_API_BASE must be an http(s) origin without a path, such as https://api.stripe.com; got "${apiBase}"`,
    );
  }
  const protocol = url.protocol === "http:" ? "http" : "https";
  return { host: url.hostname, port: url.port || (protocol === "http" ? "80" : "443"), protocol };
}
