import { encodeTime } from "ulid";
import type { MirrorState } from "../../../admin/mirror-state";
import { noMirrorYet } from "../../../admin/mirror-state";
import type { Interval } from "../../../domain/billing-period";
import type { Discount, LineDiscount } from "../../../domain/discount";
import type { PauseBehavior, SubscriptionState, SubscriptionStatus } from "../../../domain/subscription";
import type { SubscriptionRecord } from "../../../domain/subscription-record";
import type { TaxRateTerms } from "../../../domain/tax";
import type { Instant } from "../../../domain/time";
import type { ChargeSpec } from "../../../domain/usage/lines";
import type { Query, SqlValue } from "../../../lib/sql";
import type { VersionedPaymentDetails } from "../context";

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
  "pause_behavior",
  "pause_resumes_at",
  "discount",
  "tax_rates",
  "period_discount",
  "charges",
] as const;

const jsonOrNull = (value: unknown): string | null =>
  value === null || value === undefined ? null : JSON.stringify(value);
const parseOrNull = <T>(text: unknown): T | null => (typeof text === "string" ? (JSON.parse(text) as T) : null);

/** What a create knows of a new subscription besides its state (written by `insert`). */
export type NewSubscription = Omit<SubscriptionRecord, "version" | "latestInvoice" | "state" | "clockTime"> & {
  paymentDetails: VersionedPaymentDetails;
};

/** The ids and numbers reserved for one decision's invoices (`reserveInvoiceIds`). */
export interface InvoiceReservation {
  invoices: { id: string; seq: number | null }[];
  lastIdMs: number;
  invoiceSeq: number;
}

function reservationValues(r: InvoiceReservation): SqlValue[] {
  return [r.lastIdMs, r.invoiceSeq, r.invoices.at(-1)!.id];
}

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
    s.pauseCollection?.behavior ?? null,
    s.pauseCollection?.resumesAt ?? null,
    jsonOrNull(s.discount),
    JSON.stringify(s.taxRates),
    jsonOrNull(s.periodDiscount),
    JSON.stringify(s.plan.charges ?? []),
  ];
}

/**
 * `subscription`: the one row of the subscription: its state and version, its copy of the
 * customer's payment details, its test clock's time, and the invoice sequence.
 */
export class SubscriptionTable {
  constructor(
    private readonly query: Query,
    /** The actor's routing key: invoice ids carry it so they route here. */
    private readonly routingKey: () => string,
  ) {}

  /**
   * The record as last read, for the rest of the current synchronous step (undefined: read it).
   * NOTE: a step is everything up to the next await: a transaction, or a request's work between
   * two awaits, reads the row once however many of its parts ask (the ledger, persist, the
   * views, the read model: 11 reads of the row per renewal before). The copy is dropped at the
   * first microtask after it was read, so nothing written between two steps (another request,
   * another event of the object) is ever hidden; within a step every write of the row drops it
   * (`forget`, SubscriptionStore sees every statement), and so does a transaction that throws
   * (its writes roll back).
   */
  private cached: SubscriptionRecord | null | undefined = undefined;

  /** The next `load` reads the row. */
  forget(): void {
    this.cached = undefined;
  }

  load(): SubscriptionRecord | null {
    if (this.cached !== undefined) return this.cached;
    const record = this.read();
    this.cached = record;
    queueMicrotask(() => {
      if (this.cached === record) this.cached = undefined;
    });
    return record;
  }

  private read(): SubscriptionRecord | null {
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
      clockTime: r.test_clock ? ((r.clock_time as number | null) ?? (r.created as number)) : null,
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
        pauseCollection:
          r.pause_behavior === null
            ? null
            : { behavior: r.pause_behavior as PauseBehavior, resumesAt: r.pause_resumes_at as number | null },
        discount: parseOrNull<Discount>(r.discount),
        taxRates: JSON.parse(r.tax_rates as string) as TaxRateTerms[],
        periodDiscount: parseOrNull<LineDiscount>(r.period_discount),
      },
    };
  }

  /** A new subscription, its state and its first invoices' reservation included, in one row written (version 1). */
  insert(record: NewSubscription & { state: SubscriptionState }, reservation: InvoiceReservation | null): void {
    this.query(
      `INSERT INTO subscription (id, customer, ${STATE_COLUMNS.join(", ")}, test_clock, metadata, created, version,
         last_id_ms, invoice_seq, latest_invoice, payment_method, gateway_customer, payment_details_version)
       VALUES (?, ?, ${STATE_COLUMNS.map(() => "?").join(", ")}, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?)`,
      record.id,
      record.customer,
      ...stateValues(record.state),
      record.testClock,
      JSON.stringify(record.metadata),
      record.created,
      ...(reservation ? reservationValues(reservation) : [0, 0, null]),
      record.paymentDetails.paymentMethod,
      record.paymentDetails.gatewayCustomer,
      record.paymentDetails.version,
    );
  }

  /** Writes the state and bumps the version (the KV summary carries it). */
  saveState(s: SubscriptionState, reservation: InvoiceReservation | null = null): void {
    // NOTE: `open_from` moves up to the oldest open or draft invoice (a draft may be finalized,
    // so it is counted), or to the newest invoice when none is open: invoice ids grow with
    // creation and only a draft ever becomes open, so every open invoice stays at or after it,
    // whatever the rest of the caller's transaction writes. It stays at or below the invoice of
    // every payment still to reconcile too (an attempt can outlive its invoice: rule 9), which
    // the alarm finds from there (payment-table.ts `nextReconcile`). Same row, same statement:
    // no row written for it, and the subqueries read from the old bound on (a row or two).
    this.query(
      `UPDATE subscription SET ${STATE_COLUMNS.map((c) => `${c} = ?`).join(", ")}, version = version + 1,
         open_from = COALESCE(
           (SELECT MIN(x) FROM (
              SELECT MIN(id) AS x FROM invoice WHERE id >= COALESCE(open_from, '') AND status IN ('open', 'draft')
              UNION ALL SELECT MIN(invoice_id) FROM payment
                WHERE invoice_id >= COALESCE(open_from, '') AND reconcile_at IS NOT NULL)),
           (SELECT MAX(id) FROM invoice), open_from)${
             reservation ? ", last_id_ms = ?, invoice_seq = ?, latest_invoice = ?" : ""
           }`,
      ...stateValues(s),
      ...(reservation ? reservationValues(reservation) : []),
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

  /** Writes the copy `decidePaymentDetailsCopy` decided to keep. */
  setPaymentDetails(details: VersionedPaymentDetails): void {
    this.query(
      "UPDATE subscription SET payment_method = ?, gateway_customer = ?, payment_details_version = ?",
      details.paymentMethod,
      details.gatewayCustomer,
      details.version,
    );
  }

  /**
   * What the subscription last mirrored to the read model (src/admin/mirror-state.ts), kept in
   * its own row (`mirror`, schema v16) rather than an `_admin_mirror` table: no table for a new
   * object to make (2 rows per create), and the save is still one row written.
   */
  mirrorState(): MirrorState {
    const r = this.query<{ mirror: string | null }>("SELECT mirror FROM subscription")[0];
    return r?.mirror ? { ...noMirrorYet(), ...(JSON.parse(r.mirror) as Partial<MirrorState>) } : noMirrorYet();
  }

  /** Saves what was mirrored (the column alone: a change committed meanwhile is kept). */
  saveMirrorState({ keys, kvVersion, writtenMs, metricsVersion, metrics }: MirrorState): void {
    this.query(
      "UPDATE subscription SET mirror = ?",
      JSON.stringify({ keys, kvVersion, writtenMs, metricsVersion, metrics }),
    );
  }

  /** Test clocks only move forward. */
  setClockTime(at: Instant): void {
    this.query("UPDATE subscription SET clock_time = ? WHERE clock_time IS NULL OR clock_time < ?", at, at);
  }

  /**
   * Ids (their time part only grows within this actor: ULID order = creation order) and
   * sequence numbers for the invoices one decision issues (`true`: a draft, which takes no
   * number: numbers stay gapless in the order invoices are finalized). Nothing is written here:
   * `saveState` writes the reservation in the same statement as the state (one row written
   * for both), or `saveReservation` on its own when the state did not change.
   */
  reserveInvoiceIds(drafts: readonly boolean[]): InvoiceReservation | null {
    if (drafts.length === 0) return null;
    // No row yet: a create, which inserts the row with this reservation.
    const row = this.query<{ last_id_ms: number; invoice_seq: number }>(
      "SELECT last_id_ms, invoice_seq FROM subscription",
    )[0] ?? { last_id_ms: 0, invoice_seq: 0 };
    let ms = row.last_id_ms;
    let seq = row.invoice_seq;
    const invoices = drafts.map((draft) => {
      ms = Math.max(Date.now(), ms + 1);
      if (!draft) seq += 1;
      return { id: `in_${encodeTime(ms, 10)}${this.routingKey()}`, seq: draft ? null : seq };
    });
    return { invoices, lastIdMs: ms, invoiceSeq: seq };
  }

  /** A reservation written without a state change. */
  saveReservation(r: InvoiceReservation): void {
    this.query("UPDATE subscription SET last_id_ms = ?, invoice_seq = ?, latest_invoice = ?", ...reservationValues(r));
  }

  /** The next number of the sequence, for a draft being finalized. */
  reserveNumber(): number {
    const seq = this.query<{ invoice_seq: number }>("SELECT invoice_seq FROM subscription")[0]!.invoice_seq + 1;
    this.query("UPDATE subscription SET invoice_seq = ?", seq);
    return seq;
  }
}

/** The plan's usage charges as stored: absent when there are none (as activePlan gives them). */
function chargesOf(text: string): { charges?: ChargeSpec[] } {
  const charges = JSON.parse(text) as ChargeSpec[];
  return charges.length > 0 ? { charges } : {};
}
