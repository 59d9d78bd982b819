import type { Query } from "../../../lib/sql";

export interface PaymentRow {
  id: string;
  invoice_id: string;
  amount: number;
  currency: string;
  status: "succeeded" | "failed" | "pending" | "refunded";
  method: "card" | "manual";
  /** 1 for an attempt made on request (/pay, a new payment method): it never moves the schedule. */
  on_request: number;
  /** The gateway's refund of a `refunded` payment; null until the refund went through. */
  refund_reference: string | null;
  /** Tries of that refund that did not go through. */
  refund_tries: number;
  /** Set when the refund was given up on (src/domain/charge-result.ts decideRefundSetback). */
  refund_failure_code: string | null;
  refund_failure_message: string | null;
  /** When a payment still pending past the reconcile window was flagged for an operator; null otherwise. */
  attention_since: number | null;
  failure_code: string | null;
  failure_message: string | null;
  attempt: number;
  reference: string | null;
  gateway_key: string | null;
  gateway_reference: string | null;
  /** The token charged by a card attempt: a reconcile must resend exactly the same request. */
  payment_method: string | null;
  /** The customer at the gateway charged with it (Stripe `customer`), likewise resent. */
  gateway_customer: string | null;
  created: number;
}

/** `payment`: every attempt and manual payment of the subscription's invoices. */
export class PaymentTable {
  constructor(private readonly query: Query) {}

  insert(
    p: Omit<
      PaymentRow,
      "refund_reference" | "refund_tries" | "refund_failure_code" | "refund_failure_message" | "attention_since"
    >,
  ): void {
    this.query(
      `INSERT INTO payment (id, invoice_id, amount, currency, status, method, failure_code, failure_message, attempt,
         reference, gateway_key, gateway_reference, payment_method, gateway_customer, created, on_request)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      p.id,
      p.invoice_id,
      p.amount,
      p.currency,
      p.status,
      p.method,
      p.failure_code,
      p.failure_message,
      p.attempt,
      p.reference,
      p.gateway_key,
      p.gateway_reference,
      p.payment_method,
      p.gateway_customer,
      p.created,
      p.on_request,
    );
  }

  get(id: string): PaymentRow | undefined {
    return this.query<PaymentRow>("SELECT * FROM payment WHERE id = ?", id)[0];
  }

  of(invoiceId: string): PaymentRow[] {
    return this.query<PaymentRow>("SELECT * FROM payment WHERE invoice_id = ? ORDER BY created, id", invoiceId);
  }

  /** Refunded payments whose refund has not gone through the gateway yet. */
  refundsDue(invoiceId: string): PaymentRow[] {
    return this.query<PaymentRow>(
      "SELECT * FROM payment WHERE invoice_id = ? AND status = 'refunded' AND refund_reference IS NULL ORDER BY id",
      invoiceId,
    );
  }

  recordRefund(id: string, reference: string): void {
    this.query("UPDATE payment SET refund_reference = ? WHERE id = ?", reference, id);
  }

  countRefundTry(id: string): void {
    this.query("UPDATE payment SET refund_tries = refund_tries + 1 WHERE id = ?", id);
  }

  failRefund(id: string, code: string, message: string): void {
    this.query(
      "UPDATE payment SET refund_failure_code = ?, refund_failure_message = ? WHERE id = ?",
      code,
      message,
      id,
    );
  }

  flagForAttention(id: string, at: number): void {
    this.query("UPDATE payment SET attention_since = ? WHERE id = ? AND attention_since IS NULL", at, id);
  }

  settle(
    id: string,
    fields: Pick<PaymentRow, "status" | "failure_code" | "failure_message" | "gateway_reference">,
  ): void {
    this.query(
      "UPDATE payment SET status = ?, failure_code = ?, failure_message = ?, gateway_reference = COALESCE(?, gateway_reference) WHERE id = ?",
      fields.status,
      fields.failure_code,
      fields.failure_message,
      fields.gateway_reference,
      id,
    );
  }
}
