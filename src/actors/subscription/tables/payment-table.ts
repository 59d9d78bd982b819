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
  /** When a pending card attempt is asked about again (the reconcile, ARCHITECTURE.md "Payments"); null: never. */
  reconcile_at: number | null;
}

/** Payment ids remembered with their invoice: at most this many (a fallback reads the table). */
const REMEMBERED_PAYMENTS = 256;

/**
 * `payment`: every attempt and manual payment of the subscription's invoices, keyed by
 * (invoice_id, id): a payment is found by its invoice, and no index row is written per insert.
 * A statement about one payment names its invoice too; the invoice of a payment id is
 * remembered from the rows read or written (a decision about a payment always read it first),
 * else read once.
 */
export class PaymentTable {
  constructor(private readonly query: Query) {}

  private readonly invoiceOfPayment = new Map<string, string>();

  private remember(rows: readonly Pick<PaymentRow, "id" | "invoice_id">[]): void {
    for (const row of rows) {
      this.invoiceOfPayment.delete(row.id);
      this.invoiceOfPayment.set(row.id, row.invoice_id);
    }
    for (const oldest of this.invoiceOfPayment.keys()) {
      if (this.invoiceOfPayment.size <= REMEMBERED_PAYMENTS) break;
      this.invoiceOfPayment.delete(oldest);
    }
  }

  /** The invoice of payment `id` ("" for none). */
  private invoiceOf(id: string): string {
    const known = this.invoiceOfPayment.get(id);
    if (known !== undefined) return known;
    const row = this.query<{ invoice_id: string }>("SELECT invoice_id FROM payment WHERE id = ?", id)[0];
    if (row) this.remember([{ id, invoice_id: row.invoice_id }]);
    return row?.invoice_id ?? "";
  }

  insert(
    p: Omit<
      PaymentRow,
      "refund_reference" | "refund_tries" | "refund_failure_code" | "refund_failure_message" | "attention_since"
    >,
  ): void {
    this.remember([p]);
    this.query(
      `INSERT INTO payment (id, invoice_id, amount, currency, status, method, failure_code, failure_message, attempt,
         reference, gateway_key, gateway_reference, payment_method, gateway_customer, created, on_request, reconcile_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
      p.reconcile_at,
    );
  }

  get(id: string, invoiceId?: string): PaymentRow | undefined {
    const row = this.query<PaymentRow>(
      "SELECT * FROM payment WHERE invoice_id = ? AND id = ?",
      invoiceId ?? this.invoiceOf(id),
      id,
    )[0];
    if (row) this.remember([row]);
    return row;
  }

  of(invoiceId: string): PaymentRow[] {
    const rows = this.query<PaymentRow>("SELECT * FROM payment WHERE invoice_id = ? ORDER BY created, id", invoiceId);
    this.remember(rows);
    return rows;
  }

  /** Refunded payments whose refund has not gone through the gateway yet. */
  refundsDue(invoiceId: string): PaymentRow[] {
    const rows = this.query<PaymentRow>(
      "SELECT * FROM payment WHERE invoice_id = ? AND status = 'refunded' AND refund_reference IS NULL ORDER BY id",
      invoiceId,
    );
    this.remember(rows);
    return rows;
  }

  recordRefund(id: string, reference: string): void {
    this.query(
      "UPDATE payment SET refund_reference = ? WHERE invoice_id = ? AND id = ?",
      reference,
      this.invoiceOf(id),
      id,
    );
  }

  countRefundTry(id: string): void {
    this.query(
      "UPDATE payment SET refund_tries = refund_tries + 1 WHERE invoice_id = ? AND id = ?",
      this.invoiceOf(id),
      id,
    );
  }

  failRefund(id: string, code: string, message: string): void {
    this.query(
      "UPDATE payment SET refund_failure_code = ?, refund_failure_message = ? WHERE invoice_id = ? AND id = ?",
      code,
      message,
      this.invoiceOf(id),
      id,
    );
  }

  /** Past the reconcile window: flagged for an operator, and no longer reconciled. */
  flagForAttention(id: string, at: number): void {
    this.query(
      "UPDATE payment SET attention_since = ?, reconcile_at = NULL WHERE invoice_id = ? AND id = ? AND attention_since IS NULL",
      at,
      this.invoiceOf(id),
      id,
    );
  }

  /**
   * The `reconcile_payment` job of an invoice, kept on its pending card payments: asked about
   * again at `dueAt`. A row that already says so is not written again.
   */
  scheduleReconcile(invoiceId: string, dueAt: number): void {
    this.query(
      `UPDATE payment SET reconcile_at = ? WHERE invoice_id = ? AND status = 'pending' AND method = 'card'
         AND attention_since IS NULL AND reconcile_at IS NOT ?`,
      dueAt,
      invoiceId,
      dueAt,
    );
  }

  /** The invoice's payments are no longer reconciled (no row written when none was). */
  cancelReconcile(invoiceId: string): void {
    this.query("UPDATE payment SET reconcile_at = NULL WHERE invoice_id = ? AND reconcile_at IS NOT NULL", invoiceId);
  }

  /**
   * The earliest reconcile due, as a job of its invoice. Payments to reconcile are on invoices
   * at or after the subscription's `open_from` (subscription-table.ts keeps it so), so this
   * reads from there on: the same rows for a young subscription and an old one.
   */
  nextReconcile(): { invoice_id: string; due_at: number } | undefined {
    return this.query<{ invoice_id: string; due_at: number }>(
      `SELECT invoice_id, reconcile_at AS due_at FROM payment
       WHERE invoice_id >= COALESCE((SELECT open_from FROM subscription), '') AND reconcile_at IS NOT NULL
       ORDER BY reconcile_at, invoice_id LIMIT 1`,
    )[0];
  }

  /** Settled: no longer pending, so no longer reconciled either (same row, same write). */
  settle(
    id: string,
    fields: Pick<PaymentRow, "status" | "failure_code" | "failure_message" | "gateway_reference">,
  ): void {
    this.query(
      `UPDATE payment SET status = ?, failure_code = ?, failure_message = ?, gateway_reference = COALESCE(?, gateway_reference),
         reconcile_at = NULL WHERE invoice_id = ? AND id = ?`,
      fields.status,
      fields.failure_code,
      fields.failure_message,
      fields.gateway_reference,
      this.invoiceOf(id),
      id,
    );
  }
}
