import type { MirrorStore } from "../../admin/mirror-state";
import type { JobKind } from "../../domain/decision";
import { invoiceNumber } from "../../domain/invoice";
import type { PricedLine } from "../../domain/pricing";
import type { DraftLine } from "../../domain/proration";
import type { SubscriptionState } from "../../domain/subscription";
import type { SubscriptionRecord } from "../../domain/subscription-record";
import type { Instant } from "../../domain/time";
import { upcomingDueAt } from "../../domain/upcoming";
import type { Query } from "../../lib/sql";
import type { ActorStorage } from "../capabilities/host";
import { queryOnDemand } from "../capabilities/tables-on-demand";
import type { VersionedPaymentDetails } from "./context";
import { EventLog } from "./event-log";
import { PENDING_LINE_TABLE, REDEMPTION_TABLE, USAGE_TABLES_ON_DEMAND } from "./schema";
import { InvoiceLineTable } from "./tables/invoice-line-table";
import type { InvoiceRow, IssuedInvoiceRow } from "./tables/invoice-table";
import { InvoiceTable } from "./tables/invoice-table";
import type { JobRow } from "./tables/job-table";
import { JobTable } from "./tables/job-table";
import type { LineRow } from "./tables/lines";
import type { PaymentRow } from "./tables/payment-table";
import { PaymentTable } from "./tables/payment-table";
import { PendingLineTable } from "./tables/pending-line-table";
import type { InvoiceReservation, NewSubscription } from "./tables/subscription-table";
import { SubscriptionTable } from "./tables/subscription-table";
import { UsageStore } from "./usage-store";

export type { JobKind } from "../../domain/decision";
export type { SubscriptionRecord } from "../../domain/subscription-record";
export type { InvoiceRow } from "./tables/invoice-table";
export type { JobRow } from "./tables/job-table";
export type { LineRow } from "./tables/lines";
export { lineAdjustments } from "./tables/lines";
export type { PaymentRow } from "./tables/payment-table";
export type { NewSubscription } from "./tables/subscription-table";

/** A statement that may change the subscription row (its table, or anything not a plain read). */
const WRITES_SUBSCRIPTION = /^\s*(?!SELECT\b)[\s\S]*\bsubscription\b(?!_)/i;

/**
 * SQL for one subscription actor: rows in, domain values out. Every write is synchronous.
 * Each of its six tables has its own module (tables/): subscription, invoice, invoice_line,
 * pending_line, payment and job; the events are the EventLog (event-log.ts). The actor holds
 * one store for its lifetime.
 */
export class SubscriptionStore {
  /** Its events, one row per decision (event-log.ts). */
  readonly events: EventLog;
  /** Its usage windows and their aggregates (usage-store.ts). */
  readonly usage: UsageStore;
  private readonly subscription: SubscriptionTable;
  private readonly invoiceTable: InvoiceTable;
  private readonly invoiceLines: InvoiceLineTable;
  private readonly pendingLines: PendingLineTable;
  private readonly paymentTable: PaymentTable;
  private readonly jobs: JobTable;

  private readonly query: Query;
  /** `redemption`, made on demand (schema.ts). */
  private readonly redemptions: Query;

  constructor(
    storage: Pick<ActorStorage, "query" | "hasTable" | "ensureTable">,
    /** The actor's routing key (its name, known once it is addressed): invoice ids and numbers carry it. */
    private readonly routingKey: () => string,
    /** BILLIFY_UPCOMING_DAYS (the `invoice_upcoming` pseudo-job's notice). */
    private readonly upcomingDays: () => number,
  ) {
    // Every statement that writes the subscription row drops the copy `load` keeps for the step.
    const query: Query = (statement, ...params) => {
      if (WRITES_SUBSCRIPTION.test(statement)) this.subscription.forget();
      return storage.query(statement, ...params);
    };
    this.query = query;
    this.redemptions = queryOnDemand(storage, REDEMPTION_TABLE);
    this.events = new EventLog(query);
    this.usage = new UsageStore(query, queryOnDemand(storage, USAGE_TABLES_ON_DEMAND));
    this.subscription = new SubscriptionTable(query, routingKey);
    this.invoiceTable = new InvoiceTable(query);
    this.invoiceLines = new InvoiceLineTable(query);
    this.pendingLines = new PendingLineTable(queryOnDemand(storage, PENDING_LINE_TABLE));
    this.paymentTable = new PaymentTable(query);
    this.jobs = new JobTable(query);
  }

  // ---- the subscription row (tables/subscription-table.ts) ---------------------------

  /** The subscription row; read once per synchronous step (subscription-table.ts `load`). */
  load(): SubscriptionRecord | null {
    return this.subscription.load();
  }

  /** What the read model was last given (the row's `mirror` column). */
  readonly mirror: MirrorStore = {
    load: () => this.subscription.mirrorState(),
    save: (state) => this.subscription.saveMirrorState(state),
  };

  /** A transaction rolled back: the row is read again. */
  forgetLoaded(): void {
    this.subscription.forget();
  }

  /** A new subscription, its state and its first invoices' reservation included, in one row written (version 1). */
  insert(record: NewSubscription & { state: SubscriptionState }, reservation: InvoiceReservation | null): void {
    this.subscription.insert(record, reservation);
  }

  /** Writes the state and bumps the version (the KV summary carries it), and the invoice ids reserved with it. */
  saveState(s: SubscriptionState, reservation: InvoiceReservation | null = null): void {
    this.subscription.saveState(s, reservation);
  }

  /** Ids and numbers for a decision's new invoices, written by `saveState` or `saveReservation`. */
  reserveInvoiceIds(drafts: readonly boolean[]): InvoiceReservation | null {
    return this.subscription.reserveInvoiceIds(drafts);
  }

  saveReservation(reservation: InvoiceReservation): void {
    this.subscription.saveReservation(reservation);
  }

  /** The time its test clock last passed it (null for none: not on a clock, or not created). */
  clockTime(): Instant | null {
    return this.subscription.clockTime();
  }

  /** Test clocks only move forward. */
  setClockTime(at: Instant): void {
    this.subscription.setClockTime(at);
  }

  /** The customer's payment details as last pushed to (or read by) this subscription; null: no copy yet. */
  paymentDetails(): VersionedPaymentDetails | null {
    return this.subscription.paymentDetails();
  }

  /** Writes the copy `decidePaymentDetailsCopy` decided to keep. */
  setPaymentDetails(details: VersionedPaymentDetails): void {
    this.subscription.setPaymentDetails(details);
  }

  // ---- invoices and their lines (tables/invoice-table.ts, tables/invoice-line-table.ts) ---

  /** Creates and finalizes an invoice from its lines in one go, under an id reserved for it; returns the id. */
  insertInvoice(
    args: IssuedInvoiceRow & { lines: readonly PricedLine[] },
    { id, seq }: InvoiceReservation["invoices"][number],
  ): string {
    this.invoiceTable.insert({ ...args, id, number: seq === null ? null : invoiceNumber(this.routingKey(), seq) });
    this.invoiceLines.insert(id, args.lines);
    return id;
  }

  /** A draft is finalized (rule 15): the next number of the sequence, and its page token. */
  numberDraft(invoiceId: string): void {
    if (this.invoiceTable.get(invoiceId)?.number !== null) return;
    this.invoiceTable.number(invoiceId, invoiceNumber(this.routingKey(), this.subscription.reserveNumber()));
  }

  invoice(id: string): InvoiceRow | undefined {
    return this.invoiceTable.get(id);
  }

  lines(invoiceId: string): LineRow[] {
    return this.invoiceLines.of(invoiceId);
  }

  /** Newest first; `before` is an invoice id cursor (ids sort by creation). */
  invoices(limit: number, before: string | null): InvoiceRow[] {
    return this.invoiceTable.page(limit, before);
  }

  openInvoices(): InvoiceRow[] {
    return this.invoiceTable.open();
  }

  updateInvoice(id: string, fields: Parameters<InvoiceTable["update"]>[1]): void {
    this.invoiceTable.update(id, fields);
  }

  // ---- pending lines (tables/pending-line-table.ts) ---------------------------------

  addPending(lines: readonly DraftLine[]): LineRow[] {
    return this.pendingLines.add(lines);
  }

  pending(): DraftLine[] {
    return this.pendingLines.all();
  }

  clearPending(): void {
    this.pendingLines.clear();
  }

  // ---- jobs (tables/job-table.ts) ---------------------------------------------------

  // NOTE: two kinds of job are no row of `job`. A `reconcile_payment` job is the `reconcile_at`
  // column of its invoice's pending card payments (written with the payment: no row inserted
  // then deleted). The `invoice_upcoming` job is derived from the state (`upcomingDueAt`, src/domain/upcoming.ts):
  // the subscription row and `_meta.upcoming_sent_for`, which its run moves past.

  schedule(kind: JobKind, dueAt: Instant, invoiceId = ""): void {
    if (kind === "invoice_upcoming") throw new Error("invoice_upcoming is derived from the state, never scheduled");
    if (kind === "reconcile_payment") this.paymentTable.scheduleReconcile(invoiceId, dueAt);
    else this.jobs.schedule(kind, dueAt, invoiceId);
  }

  unschedule(kind: JobKind, invoiceId = ""): void {
    if (kind === "invoice_upcoming") return;
    if (kind === "reconcile_payment") this.paymentTable.cancelReconcile(invoiceId);
    else this.jobs.unschedule(kind, invoiceId);
  }

  job(kind: JobKind, invoiceId = ""): JobRow | undefined {
    return this.jobs.get(kind, invoiceId);
  }

  /** When the one job of `kind` without an invoice is due (the renewal), or null. */
  dueAt(kind: JobKind): number | null {
    return this.jobs.dueAt(kind);
  }

  /** When the `invoice_upcoming` notice is due, derived from the state (`upcomingDueAt`), or null. */
  upcomingDueAt(): Instant | null {
    const record = this.load();
    if (!record) return null;
    return upcomingDueAt({ state: record.state, sentFor: this.meta("upcoming_sent_for"), days: this.upcomingDays() });
  }

  /** The earliest due time among jobs of every other kind (the pseudo-jobs included), or null. */
  earliestDueExcept(kind: JobKind): number | null {
    const times = [
      this.jobs.earliestDueExcept(kind),
      this.paymentTable.nextReconcile()?.due_at ?? null,
      kind === "invoice_upcoming" ? null : this.upcomingDueAt(),
    ].filter((t): t is number => t !== null);
    return times.length ? Math.min(...times) : null;
  }

  /**
   * The earliest job, due or not, the pseudo-jobs included. Ties run renewals last so retries at
   * the same second go first; a reconcile goes before a job of its second, then the notice.
   */
  nextJob(): JobRow | undefined {
    const reconcile = this.paymentTable.nextReconcile();
    const upcoming = this.upcomingDueAt();
    const candidates: JobRow[] = [
      ...(reconcile
        ? [{ kind: "reconcile_payment" as const, invoice_id: reconcile.invoice_id, due_at: reconcile.due_at }]
        : []),
      ...(upcoming === null ? [] : [{ kind: "invoice_upcoming" as const, invoice_id: "", due_at: upcoming }]),
    ];
    const row = this.jobs.next();
    if (row) candidates.push(row);
    // The first of the earliest: the order above breaks ties.
    return candidates.reduce<JobRow | undefined>(
      (first, job) => (first && first.due_at <= job.due_at ? first : job),
      undefined,
    );
  }

  // ---- payments (tables/payment-table.ts) -------------------------------------------

  insertPayment(p: Parameters<PaymentTable["insert"]>[0]): void {
    this.paymentTable.insert(p);
  }

  /** One payment (`invoiceId` when the caller knows it: else its invoice is looked up). */
  payment(id: string, invoiceId?: string): PaymentRow | undefined {
    return this.paymentTable.get(id, invoiceId);
  }

  payments(invoiceId: string): PaymentRow[] {
    return this.paymentTable.of(invoiceId);
  }

  /** Refunded payments whose refund has not gone through the gateway yet. */
  refundsDue(invoiceId: string): PaymentRow[] {
    return this.paymentTable.refundsDue(invoiceId);
  }

  recordRefund(id: string, reference: string): void {
    this.paymentTable.recordRefund(id, reference);
  }

  countRefundTry(id: string): void {
    this.paymentTable.countRefundTry(id);
  }

  failRefund(id: string, code: string, message: string): void {
    this.paymentTable.failRefund(id, code, message);
  }

  flagForAttention(id: string, at: number): void {
    this.paymentTable.flagForAttention(id, at);
  }

  settlePayment(id: string, fields: Parameters<PaymentTable["settle"]>[1]): void {
    this.paymentTable.settle(id, fields);
  }

  // ---- coupon redemptions (discounts.ts, coupon-actor.ts) ---------------------------

  /** 'applied', 'abandoned', or null when this subscription has not heard of the redemption. */
  redemption(key: string): "applied" | "abandoned" | null {
    return (
      this.redemptions<{ outcome: "applied" | "abandoned" }>("SELECT outcome FROM redemption WHERE key = ?", key)[0]
        ?.outcome ?? null
    );
  }

  recordRedemption(key: string, outcome: "applied" | "abandoned"): void {
    this.redemptions("INSERT INTO redemption (key, outcome) VALUES (?, ?) ON CONFLICT(key) DO NOTHING", key, outcome);
  }

  /** Whether any invoice of this subscription was paid something (first_time_transaction). */
  hasPaidInvoice(): boolean {
    return this.query("SELECT 1 FROM invoice WHERE amount_paid > 0 LIMIT 1").length > 0;
  }

  // ---- the actor's `_meta` ----------------------------------------------------------

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
}
