import type { Instant } from "./time";

// The payment rows a Decision writes, and the one place the gateway's idempotency keys are made.

/** One card attempt at the gateway: attempt `n` of an invoice, so a repeated call never charges twice. */
export function attemptKey(invoiceId: string, attempt: number): string {
  return `${invoiceId}:attempt:${attempt}`;
}

/** The refund of the payment made under `attemptKey`: one per payment, so it never refunds twice. */
export function refundKey(attemptKey: string): string {
  return `${attemptKey}:refund`;
}

/** A payment row the decision writes (its id comes in from the actor: no ids made here). */
export interface NewPayment {
  id: string;
  invoiceId: string;
  amount: number;
  currency: string;
  status: "pending" | "succeeded";
  method: "card" | "manual";
  attempt: number;
  /** The manual payment's reference. */
  reference: string | null;
  /** The card attempt's idempotency key at the gateway (gateway-keys.ts). */
  gatewayKey: string | null;
  paymentMethod: string | null;
  gatewayCustomer: string | null;
  onRequest: boolean;
  created: Instant;
}

/** A pending payment settled by the gateway's answer (written once: only while pending). */
export interface PaymentSettlement {
  payment: string;
  status: "succeeded" | "failed" | "refunded";
  failureCode: string | null;
  failureMessage: string | null;
  /** Kept as it was when null. */
  gatewayReference: string | null;
}

/** The gateway's refund of a `refunded` payment went through. */
export interface RefundRecorded {
  payment: string;
  reference: string;
}

/** A refund given up on after its bounded tries: the money is still owed, an operator acts. */
export interface RefundFailure {
  payment: string;
  /** The gateway's code (`charge_disputed`, …), or `gateway_unreachable` when it never answered. */
  code: string;
  message: string;
}

/** A payment as a decision reads it. */
export interface PaymentRecord {
  id: string;
  invoiceId: string;
  amount: number;
  currency: string;
  status: "succeeded" | "failed" | "pending" | "refunded";
  method: "card" | "manual";
  /** Made on request (/pay, a new payment method) rather than by the retry schedule. */
  onRequest: boolean;
  attempt: number;
  gatewayKey: string | null;
  gatewayReference: string | null;
  paymentMethod: string | null;
  gatewayCustomer: string | null;
  /** The gateway's refund of a `refunded` payment; null until it went through. */
  refundReference: string | null;
  /** Tries of that refund which did not go through (faults and refusals). */
  refundTries: number;
  /** Set once the refund was given up on (then it is never tried again). */
  refundFailure: { code: string; message: string } | null;
  /** Still pending past the reconcile window: flagged for an operator, no longer holding its invoice. */
  needsAttention: boolean;
  created: Instant;
}

/** What the gateway answered to a charge (the gateway's `ChargeResult`). */
export type GatewayAnswer =
  | { status: "succeeded"; reference: string | null }
  | { status: "failed"; code: string; message: string; reference: string | null }
  | { status: "pending"; reference: string | null };

/** A charge the actor must send (then feed the answer to `decideChargeResult`). */
export interface ChargeOrder {
  paymentId: string;
  invoiceId: string;
  amount: number;
  currency: string;
  idempotencyKey: string;
  paymentMethod: string | null;
  gatewayCustomer: string | null;
}

/** A refund the actor must send (then `decideRefunded`, or `decideRefundFailed` on a fault). */
export interface RefundOrder {
  paymentId: string;
  /** Tries so far that did not go through. */
  tries: number;
  invoiceId: string;
  chargeReference: string;
  amount: number;
  currency: string;
  idempotencyKey: string;
}
