import type { BillingReason, InvoiceStatus, InvoiceTotals } from "../../../domain/invoice";
import type { Instant } from "../../../domain/time";
import type { Query, SqlValue } from "../../../lib/sql";

export interface InvoiceRow {
  id: string;
  number: string;
  status: InvoiceStatus;
  currency: string;
  subtotal: number;
  total: number;
  credit_applied: number;
  amount_due: number;
  amount_paid: number;
  attempt_count: number;
  next_payment_attempt: number | null;
  period_start: number;
  period_end: number;
  billing_reason: BillingReason;
  created: number;
  finalized_at: number | null;
  paid_at: number | null;
  voided_at: number | null;
}

/** An invoice as issued: its totals, and when it was finalized (`at`) and paid (null: not yet). */
export interface IssuedInvoiceRow {
  totals: InvoiceTotals;
  currency: string;
  reason: BillingReason;
  period: { start: Instant; end: Instant };
  at: Instant;
  paidAt: Instant | null;
}

/** `invoice`: the subscription's invoices, each finalized when written (its lines: invoice-line-table.ts). */
export class InvoiceTable {
  constructor(private readonly query: Query) {}

  insert(args: IssuedInvoiceRow & { id: string; number: string }): void {
    const { totals, at } = args;
    this.query(
      `INSERT INTO invoice (id, number, status, currency, subtotal, total, credit_applied, amount_due, amount_paid,
         attempt_count, next_payment_attempt, period_start, period_end, billing_reason, created, finalized_at, paid_at, voided_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, NULL, ?, ?, ?, ?, ?, ?, NULL)`,
      args.id,
      args.number,
      totals.status,
      args.currency,
      totals.subtotal,
      totals.total,
      totals.creditApplied,
      totals.amountDue,
      args.period.start,
      args.period.end,
      args.reason,
      at,
      at,
      args.paidAt,
    );
  }

  get(id: string): InvoiceRow | undefined {
    return this.query<InvoiceRow>("SELECT * FROM invoice WHERE id = ?", id)[0];
  }

  /** Newest first; `before` is an invoice id cursor (ids sort by creation). */
  page(limit: number, before: string | null): InvoiceRow[] {
    return before
      ? this.query<InvoiceRow>("SELECT * FROM invoice WHERE id < ? ORDER BY id DESC LIMIT ?", before, limit)
      : this.query<InvoiceRow>("SELECT * FROM invoice ORDER BY id DESC LIMIT ?", limit);
  }

  open(): InvoiceRow[] {
    return this.query<InvoiceRow>("SELECT * FROM invoice WHERE status = 'open' ORDER BY id");
  }

  update(
    id: string,
    fields: Partial<
      Pick<InvoiceRow, "status" | "amount_paid" | "attempt_count" | "next_payment_attempt" | "paid_at" | "voided_at">
    >,
  ): void {
    const entries = Object.entries(fields);
    if (entries.length === 0) return;
    this.query(
      `UPDATE invoice SET ${entries.map(([k]) => `${k} = ?`).join(", ")} WHERE id = ?`,
      ...entries.map(([, v]) => v as SqlValue),
      id,
    );
  }
}
