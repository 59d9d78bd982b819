import type { Connection } from "partyserver";
import { oldestMirroredVersion } from "../../admin/mirror-state";
import type { ListPage } from "../../contract/common";
import type { DiscountApply } from "../../contract/discount";
import type { Outcome } from "../../contract/errors";
import { notFound } from "../../contract/errors";
import type { Idempotency } from "../../contract/idempotency";
import type { Invoice, Payment } from "../../contract/invoice";
import type { SubscriptionUsage } from "../../contract/meter";
import type { ChangePreview, Subscription, SubscriptionChange } from "../../contract/subscription";
import { renewalOffsetMs } from "../../domain/spread";
import type { PauseCollection } from "../../domain/subscription";
import type { Instant } from "../../domain/time";
import { instantFromMillis } from "../../domain/time";
import { flushOutbox, Outbox } from "../../notifications/outbox";
import type { ChargeResult } from "../../payments/gateway";
import { Actor } from "../actor";
import { IdempotentRequests } from "../capabilities/idempotent-requests";
import { ReadModel } from "../capabilities/read-model";
import type { Config } from "../config";
import { loadConfig } from "../config";
import type { UsageEvent } from "../customer/meter-events";
import type { Env } from "../env";
import { mirrorSubscription } from "../metrics/subscription-mirror";
import { testClockStub } from "../stubs";
import * as changes from "./changes";
import * as collection from "./collection";
import type { RequestContext, VersionedPaymentDetails } from "./context";
import * as discounts from "./discounts";
import { EventLog } from "./event-log";
import { applyGatewayResult } from "./gateway-results";
import type { HostedInvoice } from "./hosted";
import * as hosted from "./hosted";
import * as invoicing from "./invoicing";
import * as jobs from "./jobs";
import type { CreateSubscriptionInput } from "./lifecycle";
import * as lifecycle from "./lifecycle";
import * as pausing from "./pausing";
import * as reads from "./reads";
import { SUBSCRIPTION_MIGRATIONS, SUBSCRIPTION_SCHEMA } from "./schema";
import { SubscriptionStore } from "./store";
import type { UpcomingInvoice } from "./upcoming";
import { passOverLateUpcoming } from "./upcoming";
import * as usage from "./usage";
import { invoiceView, subscriptionView } from "./views";

export type { CreateSubscriptionInput } from "./lifecycle";

/**
 * One actor per subscription: it prices its own changes, issues its own invoices, collects
 * them, and renews itself from its own alarm (or its test clock). Every operation reads the
 * same way: load → decide (src/domain, pure) → persist all of it in one transaction → re-arm.
 * Payments are jobs too, so a crash anywhere leaves work that the next run finishes.
 *
 * This class is the RPC surface and the alarm; each request runs in the file of its concept
 * (lifecycle, changes, invoicing, collection, reads) against `context`, not the whole actor.
 */
export class SubscriptionActor extends Actor {
  protected readonly migrations = SUBSCRIPTION_MIGRATIONS;
  protected override readonly freshSchema = SUBSCRIPTION_SCHEMA;
  protected override readonly answersBeforePublishing = true;
  /** The environment's configuration, validated when the actor starts (frozen). */
  private readonly config: Config;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = loadConfig(env);
  }

  private readonly requests = new IdempotentRequests(this.storage, () => this.afterWrite());

  // ---- the outbox (src/notifications/outbox.ts): events leave after each commit ------------

  private readonly outbox = new Outbox(
    (statement, ...params) => this.query(statement, ...params),
    this.env.EVENTS_QUEUE,
    () => {
      const record = this.store.load()!;
      const { plan } = record.state;
      return {
        customer: record.customer,
        source: { actor: "subscription", id: record.id },
        plan: {
          id: plan.id,
          name: plan.name,
          currency: plan.currency,
          amount: plan.amount,
          interval: plan.cadence.interval,
          interval_count: plan.cadence.intervalCount,
        },
      };
    },
    // One row per decision: the watermark is a position inside those rows (event-log.ts).
    new EventLog((statement, ...params) => this.query(statement, ...params)),
  );

  /** Every transaction also passes over an invoice.upcoming notice it made due in the past (upcoming.ts). */
  protected override transaction<T>(fn: () => T): T {
    let result: T;
    try {
      result = super.transaction(() => {
        const dueBefore = this.store.upcomingDueAt();
        const value = fn();
        passOverLateUpcoming(this.context, dueBefore, this.config.upcomingDays, this.timeInTransaction());
        return value;
      });
    } catch (error) {
      // Rolled back: a copy of the row read inside it may hold what was never committed.
      this.store.forgetLoaded();
      throw error;
    }
    // super.transaction has armed the alarm for nextJobAt(), which includes the outbox retry.
    return result;
  }

  /** Its SQL, one instance for the actor's lifetime (the name is read when an invoice is numbered). */
  private readonly store = new SubscriptionStore(
    this.storage,
    () => this.name,
    () => this.config.upcomingDays,
  );

  /** What the request, payment and job code may use of this actor. */
  private get context(): RequestContext {
    const store = this.store;
    return {
      store,
      env: this.env,
      config: this.config,
      view: () => subscriptionView(store.load()!),
      invoiceOf: (invoiceId, record) =>
        invoiceView(store.invoice(invoiceId)!, store.lines(invoiceId), record, this.config.publicUrl),
      markChanged: () => this.readModel.markChanged(),
      transaction: (fn) => this.transaction(fn),
      publishSoon: () => this.publishInBackground(),
      idempotent: (idem, operation) => this.requests.run(idem, operation),
      commit: (idem, write) => this.requests.commit(idem, write),
      clockNow: (testClock) => this.clockNow(testClock),
      loadFor: (id) => {
        const record = store.load();
        return record && record.id === id ? record : null;
      },
    };
  }

  // ---- lifecycle and changes (lifecycle.ts, changes.ts) ------------------------------

  async create(id: string, input: CreateSubscriptionInput, idem: Idempotency | null): Promise<Outcome<Subscription>> {
    return lifecycle.createSubscription(this.context, id, input, idem);
  }

  // ---- discounts and tax rates (discounts.ts) ----------------------------------------

  async applyDiscount(id: string, body: DiscountApply, idem: Idempotency | null): Promise<Outcome<Subscription>> {
    return discounts.applyDiscount(this.context, id, body, idem);
  }

  async removeDiscount(id: string): Promise<Outcome<Subscription>> {
    return discounts.removeDiscount(this.context, id);
  }

  async setTaxRates(id: string, taxRateIds: string[], idem: Idempotency | null): Promise<Outcome<Subscription>> {
    return discounts.setTaxRates(this.context, id, taxRateIds, idem);
  }

  /** A coupon's question about a redemption left in doubt (coupon-actor.ts): applied here, or never. */
  async settleRedemption(key: string): Promise<boolean> {
    if (!this.exists) return false;
    return discounts.settleRedemption(this.context, key);
  }

  /** Whether any of its invoices was paid something (a promotion code's first_time_transaction). */
  async hasPaidInvoice(): Promise<boolean> {
    return this.exists && this.store.load() !== null && this.store.hasPaidInvoice();
  }

  async change(id: string, body: SubscriptionChange, idem: Idempotency | null): Promise<Outcome<Subscription>> {
    return changes.change(this.context, id, body, idem);
  }

  /** The lines a change would make, without making it. */
  async previewChange(id: string, body: SubscriptionChange): Promise<Outcome<ChangePreview>> {
    return changes.previewChange(this.context, id, body);
  }

  async cancel(id: string, atPeriodEnd: boolean, idem: Idempotency | null): Promise<Outcome<Subscription>> {
    return lifecycle.cancel(this.context, id, atPeriodEnd, idem);
  }

  async resume(id: string, idem: Idempotency | null): Promise<Outcome<Subscription>> {
    return lifecycle.resume(this.context, id, idem);
  }

  // ---- pausing collection, rule 15 (pausing.ts) --------------------------------------

  async pauseCollection(id: string, terms: PauseCollection, idem: Idempotency | null): Promise<Outcome<Subscription>> {
    return pausing.pause(this.context, id, terms, idem);
  }

  async resumeCollection(id: string, idem: Idempotency | null): Promise<Outcome<Subscription>> {
    return pausing.resumeCollection(this.context, id, idem);
  }

  /** A draft becomes open with its number, and payment is attempted. */
  async finalizeInvoice(invoiceId: string, idem: Idempotency | null): Promise<Outcome<Invoice>> {
    return pausing.finalize(this.context, invoiceId, idem);
  }

  // ---- invoices outside the cycle (invoicing.ts) -------------------------------------

  async addInvoiceItem(id: string, item: { amount: number; description: string }, idem: Idempotency | null) {
    return invoicing.addInvoiceItem(this.context, id, item, idem);
  }

  /** Bills every pending line now (billing_reason: manual). */
  async invoiceNow(id: string, idem: Idempotency | null): Promise<Outcome<Invoice>> {
    return invoicing.invoiceNow(this.context, id, idem);
  }

  /** A payment made outside the gateway (method: manual); partial payments allowed. */
  async recordManualPayment(
    invoiceId: string,
    body: { amount: number; reference: string },
    idem: Idempotency | null,
  ): Promise<Outcome<Payment>> {
    return invoicing.recordManualPayment(this.context, invoiceId, body, idem);
  }

  async voidInvoice(invoiceId: string, idem: Idempotency | null) {
    return invoicing.closeInvoice(this.context, invoiceId, "void", idem);
  }

  async markUncollectible(invoiceId: string, idem: Idempotency | null) {
    return invoicing.closeInvoice(this.context, invoiceId, "uncollectible", idem);
  }

  // ---- reads (reads.ts) --------------------------------------------------------------

  async get(id: string): Promise<Outcome<Subscription>> {
    return reads.getSubscription(this.context, id);
  }

  async invoices(id: string, limit: number, before: string | null): Promise<Outcome<ListPage<Invoice>>> {
    return reads.listInvoices(this.context, id, limit, before);
  }

  async invoice(invoiceId: string): Promise<Outcome<Invoice>> {
    return reads.getInvoice(this.context, invoiceId);
  }

  async payments(invoiceId: string): Promise<Outcome<ListPage<Payment>>> {
    return reads.listPayments(this.context, invoiceId);
  }

  async events(id: string, limit: number, cursor: string | null) {
    return reads.listEvents(this.context, id, limit, cursor);
  }

  /**
   * The invoice the next renewal will make, computed by that very renewal decision (for
   * `invoice.upcoming`); null once ended or when the renewal makes no invoice. Writes nothing.
   */
  async upcomingInvoice(id: string): Promise<Outcome<UpcomingInvoice | null>> {
    return reads.upcomingInvoice(this.context, id);
  }

  // ---- usage (usage.ts) ----------------------------------------------------------------

  /** The customer's meter events after this subscription's cursor, counted once (rule 14h). */
  async recordUsage(id: string, events: UsageEvent[], now: Instant): Promise<Outcome<{ through: number }>> {
    return usage.recordUsage(this.context, id, events, now);
  }

  /** The current usage window so far, priced per charge. */
  async currentUsage(id: string): Promise<Outcome<SubscriptionUsage>> {
    return await usage.usageSoFar(this.context, id);
  }

  // ---- the customer's invoice page (hosted.ts) ---------------------------------------

  /** The invoice and its payments, for its hosted page or PDF, if `token` opens it. */
  async hostedInvoice(invoiceId: string, token: string): Promise<Outcome<HostedInvoice>> {
    return hosted.hostedInvoice(this.context, invoiceId, token);
  }

  /** Pays from the hosted page: one attempt now, as POST /v1/invoices/{id}/pay, if `token` opens it. */
  async payFromPage(invoiceId: string, token: string): Promise<Outcome<Invoice>> {
    if (!hosted.opensInvoice(this.context, invoiceId, token)) return notFound("invoice", invoiceId);
    return collection.pay(this.context, invoiceId, null);
  }

  /** New page links for the invoice; the old ones stop working. */
  async revokePageLinks(invoiceId: string): Promise<Outcome<Invoice>> {
    return hosted.revokePageLinks(this.context, invoiceId);
  }

  // ---- card payments (collection.ts, gateway-results.ts) -------------------------------------------------

  /** POST /v1/invoices/{id}/pay: one attempt now with the customer's payment method. */
  async pay(invoiceId: string, idem: Idempotency | null): Promise<Outcome<Invoice>> {
    return collection.pay(this.context, invoiceId, idem);
  }

  /** The customer's payment details changed: keep the copy; `retry`: a new payment method retries open invoices. */
  async paymentDetailsChanged(
    id: string,
    details: VersionedPaymentDetails,
    retry: boolean,
  ): Promise<Outcome<Subscription>> {
    return collection.paymentDetailsChanged(this.context, id, details, retry);
  }

  /** An asynchronous gateway result (a Stripe webhook), applied once. */
  async applyGatewayResult(
    invoiceId: string,
    gatewayKey: string,
    result: ChargeResult,
  ): Promise<Outcome<{ applied: boolean }>> {
    return applyGatewayResult(this.context, invoiceId, gatewayKey, result);
  }

  // ---- time: alarms and test clocks (jobs.ts) ----------------------------------------

  /** For the test clock: when this subscription's next job is due (null for none). */
  async nextDueAt(): Promise<Instant | null> {
    return this.store.nextJob()?.due_at ?? null;
  }

  /** For the test clock: runs the jobs due at the earliest time ≤ limit; returns the next due time. */
  async runJobsUntil(limit: Instant): Promise<Instant | null> {
    // Kept in memory during an advance (a write per step would cost a commit per step); the
    // advance ends with clockMoved, which stores it.
    this.clockHint = Math.max(this.clockHint ?? 0, limit);
    await jobs.runJobsDue(this.context, limit);
    // Awaited here, unlike a request's: a step's events and KV writes are real I/O, and in one
    // local process a clock stepping through in-process calls with none would starve every
    // other request (reads must never wait for an advance). Production runs each object on
    // its own, where this costs the step its KV write time and nothing else.
    await this.publishChanges();
    return this.store.nextJob()?.due_at ?? null;
  }

  /** For the test clock: its advance ended at `to`; this subscription's "now" from then on. */
  async clockMoved(to: Instant): Promise<void> {
    this.clockMovedTo(to);
  }

  private clockMovedTo(at: Instant): void {
    this.clockHint = Math.max(this.clockHint ?? 0, at);
    if (this.store.load()?.testClock) this.store.setClockTime(at);
  }

  /** The latest time the clock passed this instance during an advance (not stored). */
  private clockHint: Instant | null = null;

  protected override readonly jobs = {
    nextJobAt: () => this.nextJobAt(),
    runDueJobs: () => this.runDueJobs(),
  };

  private nextJobAt(): number | null {
    const outbox = this.outbox.retryAt(Date.now());
    const record = this.store.load();
    if (!record || record.testClock) return outbox;
    // A renewal's alarm fires its herd-spreading offset after its due time; other jobs at theirs.
    const renewal = this.store.dueAt("renew");
    const other = this.store.earliestDueExcept("renew");
    const candidates = [
      renewal === null ? null : renewal * 1000 + renewalOffsetMs(record.id, this.config.renewalSpreadSeconds),
      other === null ? null : other * 1000,
      outbox,
    ].filter((t): t is number => t !== null);
    return candidates.length ? Math.min(...candidates) : null;
  }

  private async runDueJobs(): Promise<void> {
    const record = this.store.load();
    if (!record || record.testClock) return;
    await jobs.runJobsDue(this.context, instantFromMillis(Date.now()));
  }

  /** "Now" inside a transaction, with no await: the time its test clock last passed it, or the platform clock. */
  private timeInTransaction(): Instant {
    const known = this.store.clockTime();
    return known === null ? instantFromMillis(Date.now()) : Math.max(known, this.clockHint ?? 0);
  }

  /** "Now" for this subscription: its test clock's frozen time, or the platform clock. Reads only. */
  private async clockNow(testClock: string | null): Promise<Instant> {
    if (!testClock) return instantFromMillis(Date.now());
    // A subscription on a test clock keeps the time its clock last passed it (`runJobsUntil`,
    // `clockMoved`) and never calls the clock back: the clock awaits its subscriptions during
    // an advance, and a call the other way would make a cycle of awaits. Only a subscription
    // being created asks its clock (it is not yet one the clock could be waiting on).
    const known = this.store.clockTime();
    if (known !== null) return Math.max(known, this.clockHint ?? 0);
    const clock = await (await testClockStub(this.env, testClock))?.get(testClock);
    if (!clock?.ok) throw new Error(`test clock ${testClock} of subscription ${this.name} is missing`);
    return clock.value.frozen_time_instant;
  }

  // ---- the read model (KV) -----------------------------------------------------------

  /** The admin read model (src/admin): metrics and the KV index. */
  protected override readonly readModel = new ReadModel(this.storage, {
    changeCount: () => this.store.load()?.version ?? 0,
    // No flag row: every change the summary shows bumps the version (store.saveState), and the
    // mirror stores the versions it wrote, so "behind" is a comparison (two rows fewer per change).
    isBehind: () => {
      const record = this.store.load();
      return record !== null && oldestMirroredVersion(this.store.mirror) < record.version;
    },
    write: async () => {
      const record = this.store.load();
      if (!record) return;
      return mirrorSubscription(this.env, this.store.mirror, record, Date.now());
    },
  });

  // ---- live dashboard pages (partyserver WebSockets; src/api/live.ts authenticates) --

  /**
   * Every operation, job run and alarm ends with a flush: the events leave first (the outbox),
   * then the read model and the alarm; after it, tell open pages what changed.
   */
  protected override async publishChanges(): Promise<void> {
    await flushOutbox(this.outbox, this.name);
    await super.publishChanges();
    this.announceChanges();
  }

  /** The last (version, event) pair announced: a failed retry adds events without a new version. */
  private announced = "";

  private announceChanges(): void {
    if ([...this.getConnections()].length === 0) return;
    const record = this.store.load();
    if (!record) return;
    const lastEvent = this.store.events.lastSeq();
    const marker = `${record.version}:${lastEvent}`;
    if (marker === this.announced) return;
    this.announced = marker;
    this.broadcast(JSON.stringify({ type: "subscription.changed", subscription: record.id, version: record.version }));
  }

  override onConnect(connection: Connection): void {
    const record = this.store.load();
    const lastEvent = this.store.events.lastSeq();
    if (record) this.announced = `${record.version}:${lastEvent}`;
    connection.send(JSON.stringify({ type: "hello", subscription: record?.id ?? null, version: record?.version ?? 0 }));
  }
}
