import type { BillingReason, InvoiceStatus, InvoiceTotals } from "../../../domain/invoice";
import type { Instant } from "../../../domain/time";
import { hex } from "../../../lib/bytes";
import type { Query, SqlValue } from "../../../lib/sql";

export interface InvoiceRow {
  id: string;
  /** Null on a draft (rule 15): it takes the next number of the sequence when finalized. */
  number: string | null;
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
  /** Rule 13e and 16: the invoice's discounts and every tax amount. */
  total_discount: number;
  tax: number;
  /** The secret part of its hosted page's address (null on a draft); a new one revokes the old. */
  page_token: string | null;
}

/** 128 random bits, hex: the secret of an invoice's page address. */
export function newPageToken(): string {
  return hex(crypto.getRandomValues(new Uint8Array(16)));
}

/** An invoice as issued: its totals, and when it was finalized (`at`) and paid (null: not yet). */
export interface IssuedInvoiceRow {
  totals: InvoiceTotals;
  currency: string;
  reason: BillingReason;
  period: { start: Instant; end: Instant };
  at: Instant;
  paidAt: Instant | null;
  /** Rule 15: stored as a draft (no number, not finalized, no page). */
  draft?: boolean;
  /** Attempts counted as it is written (its first made in the same transaction); 0 when absent. */
  attemptCount?: number;
}

/** `invoice`: the subscription's invoices, each finalized when written (its lines: invoice-line-table.ts). */
export class InvoiceTable {
  constructor(private readonly query: Query) {}

  insert(args: IssuedInvoiceRow & { id: string; number: string | null }): void {
    const { totals, at } = args;
    const draft = args.draft === true;
    this.query(
      `INSERT INTO invoice (id, number, status, currency, subtotal, total, credit_applied, amount_due, amount_paid,
         attempt_count, next_payment_attempt, period_start, period_end, billing_reason, created, finalized_at, paid_at,
         voided_at, page_token, total_discount, tax)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, NULL, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)`,
      args.id,
      args.number,
      draft ? "draft" : totals.status,
      args.currency,
      totals.subtotal,
      totals.total,
      totals.creditApplied,
      totals.amountDue,
      args.attemptCount ?? 0,
      args.period.start,
      args.period.end,
      args.reason,
      at,
      draft ? null : at,
      draft ? null : args.paidAt,
      draft ? null : newPageToken(),
      totals.totalDiscount,
      totals.tax,
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

  /**
   * The open invoices, oldest first. Reads only from the subscription row's `open_from` on (a
   * lower bound on every open or draft invoice's id, moved by `SubscriptionTable.saveState`),
   * so a renewal reads the same rows however many invoices the subscription has (issue 21).
   */
  open(): InvoiceRow[] {
    return this.query<InvoiceRow>(
      `SELECT * FROM invoice WHERE id >= COALESCE((SELECT open_from FROM subscription), '') AND status = 'open'
       ORDER BY id`,
    );
  }

  /** A draft finalized: its number and its page token (only while it has no number). */
  number(id: string, number: string): void {
    this.query(
      "UPDATE invoice SET number = ?, page_token = ? WHERE id = ? AND number IS NULL",
      number,
      newPageToken(),
      id,
    );
  }

  update(
    id: string,
    fields: Partial<
      Pick<
        InvoiceRow,
        | "status"
        | "amount_paid"
        | "attempt_count"
        | "next_payment_attempt"
        | "paid_at"
        | "voided_at"
        | "finalized_at"
        | "credit_applied"
        | "amount_due"
        | "page_token"
      >
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
