import type { GatewayAnswer } from "../domain/payment-records";

export { GATEWAY_CUSTOMER_METADATA_KEY } from "../domain/customer";

/**
 * The one seam between billing and money movement. A declined card is an outcome, not an
 * exception: `charge` throws only for faults worth retrying (network, 5xx), and then the
 * attempt stays `pending` and is reconciled later with the same idempotency key.
 */
export interface ChargeRequest {
  invoiceId: string;
  customerId: string;
  /** The customer's payment method token, or null when it has none. */
  paymentMethod: string | null;
  /**
   * The customer's id at the gateway, when it has one (the customer's `stripe_customer`
   * metadata): Stripe reuses a saved PaymentMethod off-session only with its Customer.
   */
  gatewayCustomer: string | null;
  amount: number;
  currency: string;
  /** One per invoice and attempt: a repeated call never charges twice. */
  idempotencyKey: string;
}

/** The gateway's answer to a charge, as `decideChargeResult` reads it. */
export type ChargeResult = GatewayAnswer;

/** Gives back a payment the gateway took (docs/billing-rules.md rule 9: a success on a closed invoice). */
export interface RefundRequest {
  invoiceId: string;
  /** The gateway's reference of the charge (Stripe: the PaymentIntent id). */
  chargeReference: string;
  amount: number;
  currency: string;
  /** One per payment: a repeated call never refunds twice. */
  idempotencyKey: string;
}

/**
 * `succeeded`, or `pending` while the gateway is still processing it (it will complete), or
 * `refused`: the gateway said no for good (a 4xx such as a disputed or already-refunded charge),
 * which is an outcome, not a fault; its tries are bounded (src/domain/charge-result.ts).
 */
export type RefundResult =
  | { status: "succeeded" | "pending"; reference: string }
  | { status: "refused"; code: string; message: string };

export interface PaymentGateway {
  readonly name: string;
  charge(request: ChargeRequest): Promise<ChargeResult>;
  /** Throws only for faults worth retrying (the caller retries under the same key); a refusal is an answer. */
  refund(request: RefundRequest): Promise<RefundResult>;
  /**
   * False only when the gateway says for certain it has no such payment method, so a bad
   * token is a 400 when it is set rather than a decline at the next renewal. A gateway that
   * cannot be reached answers true: the charge will tell.
   */
  knowsPaymentMethod?(token: string): Promise<boolean>;
}
