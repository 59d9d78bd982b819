import { encodeTime, ulid } from "ulid";
import type { Interval } from "../../domain/billing-period";
import type { JobKind } from "../../domain/decision";
import type { BillingReason, InvoiceStatus, InvoiceTotals } from "../../domain/invoice";
import { invoiceNumber } from "../../domain/invoice";
import type { DraftLine } from "../../domain/proration";
import type { SubscriptionState, SubscriptionStatus } from "../../domain/subscription";
import type { SubscriptionRecord } from "../../domain/subscription-record";
import type { Instant } from "../../domain/time";
import type { ChargeSpec } from "../../domain/usage/lines";
import type { Row, SqlValue } from "../actor";

export type { SubscriptionRecord } from "../../domain/subscription-record";

import type { VersionedPaymentDetails } from "./context";
import { EventLog } from "./event-log";
import { UsageStore } from "./usage-store";

type Query = <T = Row>(statement: string, ...params: SqlValue[]) => T[];

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

export interface LineRow {
  id: string;
  type: DraftLine["type"];
  description: string;
  amount: number;
  quantity: number;
  plan: string | null;
  period_start: number;
  period_end: number;
  /** A usage line's LineUsage as JSON; null on other lines. */
  usage: string | null;
}

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

export type { JobKind } from "../../domain/decision";

export interface JobRow {
  kind: JobKind;
  invoice_id: string;
  due_at: number;
}

/** The subscription row's columns that hold its state, in the order of `stateValues`. */
const STATE_COLUMNS = [
  "plan_id",
  "plan_name",
  "currency",
  "amount",
  "interval",
  "interval_count",
  "trial_days",
  "quantity",
  "status",
  "anchor",
  "current_period_start",
  "current_period_end",
  "trial_start",
  "trial_end",
  "cancel_at_period_end",
  "canceled_at",
  "ended_at",
  "credit_balance",
  "charges",
] as const;

function stateValues(s: SubscriptionState): SqlValue[] {
  return [
    s.plan.id,
    s.plan.name,
    s.plan.currency,
    s.plan.amount,
    s.plan.cadence.interval,
    s.plan.cadence.intervalCount,
    s.plan.trialDays,
    s.quantity,
    s.status,
    s.anchor,
    s.currentPeriodStart,
    s.currentPeriodEnd,
    s.trialStart,
    s.trialEnd,
    s.cancelAtPeriodEnd ? 1 : 0,
    s.canceledAt,
    s.endedAt,
    s.creditBalance,
    JSON.stringify(s.plan.charges ?? []),
  ];
}

/** SQL for one subscription actor: rows in, domain values out. Every write is synchronous. */
export class SubscriptionStore {
  /** Its events, one row per decision (event-log.ts). */
  readonly events: EventLog;
  /** Its usage windows and their aggregates (usage-store.ts). */
  readonly usage: UsageStore;

  constructor(
    private readonly query: Query,
    /** The actor's routing key: invoice ids carry it so they route here. */
    private readonly routingKey: string,
  ) {
    this.events = new EventLog(query);
    this.usage = new UsageStore(query);
  }

  load(): SubscriptionRecord | null {
    const r = this.query("SELECT * FROM subscription")[0];
    if (!r) return null;
    return {
      id: r.id as string,
      customer: r.customer as string,
      latestInvoice: r.latest_invoice as string | null,
      testClock: r.test_clock as string | null,
      metadata: JSON.parse(r.metadata as string) as Record<string, string>,
      created: r.created as number,
      version: r.version as number,
      state: {
        plan: {
          id: r.plan_id as string,
          name: r.plan_name as string,
          currency: r.currency as string,
          amount: r.amount as number,
          cadence: { interval: r.interval as Interval, intervalCount: r.interval_count as number },
          trialDays: r.trial_days as number,
          ...chargesOf(r.charges as string),
        },
        quantity: r.quantity as number,
        status: r.status as SubscriptionStatus,
        anchor: r.anchor as number,
        currentPeriodStart: r.current_period_start as number,
        currentPeriodEnd: r.current_period_end as number,
        trialStart: r.trial_start as number | null,
        trialEnd: r.trial_end as number | null,
        cancelAtPeriodEnd: r.cancel_at_period_end === 1,
        canceledAt: r.canceled_at as number | null,
        endedAt: r.ended_at as number | null,
        creditBalance: r.credit_balance as number,
      },
    };
  }

  /** A new subscription, its state included, in one row written (version 1). */
  insert(
    record: Omit<SubscriptionRecord, "version" | "latestInvoice" | "state"> & {
      state: SubscriptionState;
      paymentDetails: VersionedPaymentDetails;
    },
  ): void {
    this.query(
      `INSERT INTO subscription (id, customer, ${STATE_COLUMNS.join(", ")}, latest_invoice, test_clock, metadata,
         created, version, invoice_seq, last_id_ms, payment_method, gateway_customer, payment_details_version)
       VALUES (?, ?, ${STATE_COLUMNS.map(() => "?").join(", ")}, NULL, ?, ?, ?, 1, 0, 0, ?, ?, ?)`,
      record.id,
      record.customer,
      ...stateValues(record.state),
      record.testClock,
      JSON.stringify(record.metadata),
      record.created,
      record.paymentDetails.paymentMethod,
      record.paymentDetails.gatewayCustomer,
      record.paymentDetails.version,
    );
  }

  /** Writes the state and bumps the version (the KV summary carries it). */
  saveState(s: SubscriptionState): void {
    this.query(
      `UPDATE subscription SET ${STATE_COLUMNS.map((c) => `${c} = ?`).join(", ")}, version = version + 1`,
      ...stateValues(s),
    );
  }

  /** The time its test clock last passed it (null for none: not on a clock, or not created). */
  clockTime(): Instant | null {
    const r = this.query<{ clock_time: number | null; created: number; test_clock: string | null }>(
      "SELECT clock_time, created, test_clock FROM subscription",
    )[0];
    if (!r?.test_clock) return null;
    return r.clock_time ?? r.created;
  }

  /** The customer's payment details as last pushed to (or read by) this subscription; null: no copy yet. */
  paymentDetails(): VersionedPaymentDetails | null {
    const r = this.query<{
      payment_method: string | null;
      gateway_customer: string | null;
      payment_details_version: number | null;
    }>("SELECT payment_method, gateway_customer, payment_details_version FROM subscription")[0];
    if (!r || r.payment_details_version === null) return null;
    return { paymentMethod: r.payment_method, gatewayCustomer: r.gateway_customer, version: r.payment_details_version };
  }

  /**
   * Keeps `details` unless the copy held is as new or newer (pushes may arrive out of order or
   * twice); whether they were kept.
   */
  setPaymentDetails(details: VersionedPaymentDetails): boolean {
    return (
      this.query(
        `UPDATE subscription SET payment_method = ?, gateway_customer = ?, payment_details_version = ?
         WHERE payment_details_version IS NULL OR payment_details_version < ? RETURNING 1 AS kept`,
        details.paymentMethod,
        details.gatewayCustomer,
        details.version,
        details.version,
      ).length > 0
    );
  }

  /** Test clocks only move forward. */
  setClockTime(at: Instant): void {
    this.query("UPDATE subscription SET clock_time = ? WHERE clock_time IS NULL OR clock_time < ?", at, at);
  }

  /**
   * The next invoice's id (its time part only grows within this actor: ULID order = creation
   * order) and sequence number, reserved with one write of the subscription row.
   */
  private nextInvoiceId(): { id: string; seq: number } {
    const row = this.query<{ last_id_ms: number; invoice_seq: number }>(
      "SELECT last_id_ms, invoice_seq FROM subscription",
    )[0]!;
    const ms = Math.max(Date.now(), row.last_id_ms + 1);
    const id = `in_${encodeTime(ms, 10)}${this.routingKey}`;
    const seq = row.invoice_seq + 1;
    this.query("UPDATE subscription SET last_id_ms = ?, invoice_seq = ?, latest_invoice = ?", ms, seq, id);
    return { id, seq };
  }

  // ---- invoices ----------------------------------------------------------------------

  /** Creates and finalizes an invoice from its lines in one go; returns its id. */
  insertInvoice(args: {
    lines: readonly DraftLine[];
    totals: InvoiceTotals;
    currency: string;
    reason: BillingReason;
    period: { start: Instant; end: Instant };
    at: Instant;
    paidAt: Instant | null;
  }): string {
    const { id, seq } = this.nextInvoiceId();
    const number = invoiceNumber(this.routingKey, seq);
    const { totals, at } = args;
    this.query(
      `INSERT INTO invoice (id, number, status, currency, subtotal, total, credit_applied, amount_due, amount_paid,
         attempt_count, next_payment_attempt, period_start, period_end, billing_reason, created, finalized_at, paid_at, voided_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, NULL, ?, ?, ?, ?, ?, ?, NULL)`,
      id,
      number,
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
    args.lines.forEach((line, position) => {
      this.query(
        `INSERT INTO invoice_line (id, invoice_id, position, type, description, amount, quantity, plan, period_start, period_end, usage)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        `il_${ulid()}`,
        id,
        position,
        line.type,
        line.description,
        line.amount,
        line.quantity,
        line.plan,
        line.periodStart,
        line.periodEnd,
        line.usage ? JSON.stringify(line.usage) : null,
      );
    });
    return id;
  }

  invoice(id: string): InvoiceRow | undefined {
    return this.query<InvoiceRow>("SELECT * FROM invoice WHERE id = ?", id)[0];
  }

  lines(invoiceId: string): LineRow[] {
    return this.query<LineRow>("SELECT * FROM invoice_line WHERE invoice_id = ? ORDER BY position", invoiceId);
  }

  /** Newest first; `before` is an invoice id cursor (ids sort by creation). */
  invoices(limit: number, before: string | null): InvoiceRow[] {
    return before
      ? this.query<InvoiceRow>("SELECT * FROM invoice WHERE id < ? ORDER BY id DESC LIMIT ?", before, limit)
      : this.query<InvoiceRow>("SELECT * FROM invoice ORDER BY id DESC LIMIT ?", limit);
  }

  openInvoices(): InvoiceRow[] {
    return this.query<InvoiceRow>("SELECT * FROM invoice WHERE status = 'open' ORDER BY id");
  }

  updateInvoice(
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

  // ---- pending lines -----------------------------------------------------------------

  addPending(lines: readonly DraftLine[]): LineRow[] {
    const seq = this.query<{ n: number }>("SELECT COALESCE(MAX(seq), 0) AS n FROM pending_line")[0]!.n;
    return lines.map((line, i) => {
      const id = `il_${ulid()}`;
      this.query(
        `INSERT INTO pending_line (id, seq, type, description, amount, quantity, plan, period_start, period_end, usage)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        id,
        seq + i + 1,
        line.type,
        line.description,
        line.amount,
        line.quantity,
        line.plan,
        line.periodStart,
        line.periodEnd,
        line.usage ? JSON.stringify(line.usage) : null,
      );
      return { id, ...toRowFields(line) };
    });
  }

  pending(): DraftLine[] {
    return this.query<LineRow>("SELECT * FROM pending_line ORDER BY seq").map((r) => ({
      type: r.type,
      description: r.description,
      amount: r.amount,
      quantity: r.quantity,
      plan: r.plan,
      periodStart: r.period_start,
      periodEnd: r.period_end,
      ...(r.usage ? { usage: JSON.parse(r.usage) as DraftLine["usage"] } : {}),
    }));
  }

  clearPending(): void {
    this.query("DELETE FROM pending_line");
  }

  // ---- jobs --------------------------------------------------------------------------

  schedule(kind: JobKind, dueAt: Instant, invoiceId = ""): void {
    this.query(
      "INSERT INTO job (kind, invoice_id, due_at) VALUES (?, ?, ?) ON CONFLICT(kind, invoice_id) DO UPDATE SET due_at = excluded.due_at",
      kind,
      invoiceId,
      dueAt,
    );
  }

  unschedule(kind: JobKind, invoiceId = ""): void {
    this.query("DELETE FROM job WHERE kind = ? AND invoice_id = ?", kind, invoiceId);
  }

  job(kind: JobKind, invoiceId = ""): JobRow | undefined {
    return this.query<JobRow>("SELECT * FROM job WHERE kind = ? AND invoice_id = ?", kind, invoiceId)[0];
  }

  /** A number kept in the actor's `_meta` table (e.g. `upcoming_sent_for`). */
  meta(key: string): number | null {
    return this.query<{ value: number }>("SELECT value FROM _meta WHERE key = ?", key)[0]?.value ?? null;
  }

  setMeta(key: string, value: number): void {
    this.query(
      "INSERT INTO _meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      key,
      value,
    );
  }

  /** When the one job of `kind` without an invoice is due (the renewal), or null. */
  dueAt(kind: JobKind): number | null {
    return (
      this.query<{ due_at: number }>("SELECT due_at FROM job WHERE kind = ? AND invoice_id = ''", kind)[0]?.due_at ??
      null
    );
  }

  /** The earliest due time among jobs of every other kind, or null. */
  earliestDueExcept(kind: JobKind): number | null {
    return this.query<{ t: number | null }>("SELECT MIN(due_at) AS t FROM job WHERE kind <> ?", kind)[0]?.t ?? null;
  }

  /** The earliest job, due or not. Ties run renewals last so retries at the same second go first. */
  nextJob(): JobRow | undefined {
    return this.query<JobRow>(
      "SELECT * FROM job ORDER BY due_at, CASE kind WHEN 'renew' THEN 1 ELSE 0 END, invoice_id LIMIT 1",
    )[0];
  }

  // ---- payments ----------------------------------------------------------------------

  insertPayment(p: Omit<PaymentRow, "refund_reference">): void {
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

  payment(id: string): PaymentRow | undefined {
    return this.query<PaymentRow>("SELECT * FROM payment WHERE id = ?", id)[0];
  }

  payments(invoiceId: string): PaymentRow[] {
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

  settlePayment(
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

/** The plan's usage charges as stored: absent when there are none (as activePlan gives them). */
function chargesOf(text: string): { charges?: ChargeSpec[] } {
  const charges = JSON.parse(text) as ChargeSpec[];
  return charges.length > 0 ? { charges } : {};
}

function toRowFields(line: DraftLine): Omit<LineRow, "id"> {
  return {
    type: line.type,
    description: line.description,
    amount: line.amount,
    quantity: line.quantity,
    plan: line.plan,
    period_start: line.periodStart,
    period_end: line.periodEnd,
    usage: line.usage ? JSON.stringify(line.usage) : null,
  };
}
