import type { Invoice, InvoiceLine, Payment } from "../../api/schemas/invoice";
import type { ChangePreview, Subscription, SubscriptionChange } from "../../api/schemas/subscription";
import type { ListPage } from "../../api/schemas/common";
import type { Config } from "../../config";
import { loadConfig } from "../../config";
import { afterFailedAttempt, shouldAttemptAutomatically, statusAfterPayment } from "../../domain/dunning";
import { finalizeTotals } from "../../domain/invoice";
import type { DraftLine } from "../../domain/proration";
import type { Decision, InvoiceDraft, PlanTerms, SubscriptionState } from "../../domain/subscription";
import {
  TRIAL_WILL_END_NOTICE,
  cancelSubscription,
  changeSubscription,
  isEnded,
  renew,
  resumeSubscription,
  startSubscription,
} from "../../domain/subscription";
import type { Instant } from "../../domain/time";
import { instantFromMillis, toIso } from "../../domain/time";
import type { Env } from "../../env";
import type { Outcome } from "../../errors";
import { failure, notFound, ok } from "../../errors";
import type { ChargeResult } from "../../payments/gateway";
import type { Idempotency } from "../actor";
import { Actor } from "../actor";
import { customerStub, planStub, testClockStub } from "../stubs";
import { SUBSCRIPTION_MIGRATIONS } from "./schema";
import type { InvoiceRow, JobRow, SubscriptionRecord } from "./store";
import { SubscriptionStore } from "./store";
import { summaryKey, summaryOf } from "./summary";
import { invoiceView, lineView, paymentView, subscriptionView } from "./views";

export interface CreateSubscriptionInput {
  customer: string;
  plan: string;
  quantity: number;
  trialDays: number | null;
  billingCycleAnchor: Instant | null;
  metadata: Record<string, string>;
}

/** A pending card payment is reconciled through the gateway if its result never came back. */
const RECONCILE_AFTER_SECONDS = 300;
/** Gateways forget idempotency keys after a day (Stripe: 24 h); we stop re-asking before. */
const RECONCILE_WINDOW_SECONDS = 23 * 3_600;

/**
 * One actor per subscription: it prices its own changes, issues its own invoices, collects
 * them, and renews itself from its own alarm (or its test clock). Every operation reads the
 * same way: load → decide (src/domain, pure) → persist all of it in one transaction → re-arm.
 * Payments are jobs too, so a crash anywhere leaves work that the next run finishes.
 */
export class SubscriptionActor extends Actor {
  protected readonly migrations = SUBSCRIPTION_MIGRATIONS;
  private readonly config: Config;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = loadConfig(env);
  }

  private get store(): SubscriptionStore {
    return new SubscriptionStore((statement, ...params) => this.query(statement, ...params), this.name);
  }

  // ---- lifecycle ---------------------------------------------------------------------

  async create(id: string, input: CreateSubscriptionInput, idem: Idempotency | null): Promise<Outcome<Subscription>> {
    return this.once(idem, async () => {
      if (this.store.load()) return failure(409, "resource_already_exists", `Subscription '${id}' already exists`);
      const customer = await customerStub(this.env, input.customer)?.get(input.customer);
      if (!customer?.ok) return failure(400, "resource_missing", `No such customer: '${input.customer}'`, "customer");
      const plan = await this.activePlan(input.plan);
      if (!plan.ok) return plan;
      const testClock = customer.value.test_clock;
      const now = await this.currentTime(testClock);
      const decision = startSubscription({
        plan: plan.value,
        quantity: input.quantity,
        now,
        trialDays: input.trialDays ?? plan.value.trialDays,
        billingCycleAnchor: input.billingCycleAnchor,
      });
      if (!decision.ok) return failure(400, decision.error.code, decision.error.message, decision.error.param);
      // The customer's index first: a subscription is never invisible to its customer.
      const added = await customerStub(this.env, input.customer)!.addSubscription(input.customer, { id, created_ms: Date.now() });
      if (!added.ok) return failure(400, "resource_missing", `No such customer: '${input.customer}'`, "customer");
      if (testClock) await (await testClockStub(this.env, testClock))?.register(testClock, id);
      const committed = this.commit(idem, () => {
        if (this.store.load()) return failure<Subscription>(409, "resource_already_exists", `Subscription '${id}' already exists`);
        this.store.insert({ id, customer: input.customer, state: decision.state, testClock, metadata: input.metadata, created: now });
        if (decision.state.trialEnd !== null && decision.state.trialEnd - TRIAL_WILL_END_NOTICE > now) {
          this.store.schedule("trial_will_end", decision.state.trialEnd - TRIAL_WILL_END_NOTICE);
        }
        this.apply(decision, now, "subscription.created");
        return ok(this.view(), 201);
      });
      if (!committed.ok) return committed;
      await this.settle(now);
      return ok(this.view(), 201);
    });
  }

  async get(id: string): Promise<Outcome<Subscription>> {
    const record = this.loadFor(id);
    return record ? ok(subscriptionView(record)) : notFound("subscription", id);
  }

  async change(id: string, body: SubscriptionChange, idem: Idempotency | null): Promise<Outcome<Subscription>> {
    return this.once(idem, async () => {
      const inputs = await this.changeInputs(id, body);
      if (!inputs.ok) return inputs;
      const { now } = inputs.value;
      const latestBefore = this.store.load()!.latestInvoice;
      const committed = this.commit(idem, () => {
        // Decided on the state as it is now, inside the transaction: a concurrent change
        // that ran while we awaited the plan is never overwritten.
        const decided = this.decideChange(body, inputs.value);
        if (!decided.ok) return decided;
        this.apply(decided.value, now, "subscription.updated");
        return ok(this.view());
      });
      if (!committed.ok) return committed;
      await this.settle(now);
      const record = this.store.load()!;
      const issued = record.latestInvoice !== latestBefore ? record.latestInvoice : null;
      return ok({ ...subscriptionView(record), invoice: issued ? this.invoiceOf(issued, record) : null });
    });
  }

  /** The lines a change would make, without making it. */
  async previewChange(id: string, body: SubscriptionChange): Promise<Outcome<ChangePreview>> {
    const inputs = await this.changeInputs(id, body);
    if (!inputs.ok) return inputs;
    const decided = this.decideChange(body, inputs.value);
    if (!decided.ok) return decided;
    const decision = decided.value;
    const record = this.store.load()!;
    const lines: DraftLine[] = decision.invoice ? [...decision.invoice.lines, ...this.store.pending()] : decision.pending;
    return ok({
      object: "change_preview",
      subscription: id,
      currency: record.state.plan.currency,
      lines: lines.map((l, i) =>
        lineView({ id: `il_preview_${i + 1}`, type: l.type, description: l.description, amount: l.amount, quantity: l.quantity, plan: l.plan, period_start: l.periodStart, period_end: l.periodEnd }),
      ),
      invoiced_now: decision.invoice !== null,
      total: lines.reduce((sum, l) => sum + l.amount, 0),
    });
  }

  async cancel(id: string, atPeriodEnd: boolean, idem: Idempotency | null): Promise<Outcome<Subscription>> {
    return this.once(idem, async () => {
      const record = this.loadFor(id);
      if (!record) return notFound("subscription", id);
      const now = await this.currentTime(record.testClock);
      return this.commit(idem, () => {
        const decision = cancelSubscription(this.store.load()!.state, atPeriodEnd, now);
        if (!decision.ok) return failure<Subscription>(400, decision.error.code, decision.error.message);
        this.apply(decision, now, decision.state.status === "canceled" ? "subscription.canceled" : "subscription.updated");
        return ok(this.view());
      });
    });
  }

  async resume(id: string, idem: Idempotency | null): Promise<Outcome<Subscription>> {
    return this.once(idem, async () => {
      const record = this.loadFor(id);
      if (!record) return notFound("subscription", id);
      const now = await this.currentTime(record.testClock);
      return this.commit(idem, () => {
        const decision = resumeSubscription(this.store.load()!.state);
        if (!decision.ok) return failure<Subscription>(400, decision.error.code, decision.error.message);
        this.apply(decision, now, "subscription.updated");
        return ok(this.view());
      });
    });
  }

  async addInvoiceItem(id: string, item: { amount: number; description: string }, idem: Idempotency | null) {
    return this.once(idem, async () => {
      const record = this.loadFor(id);
      if (!record) return notFound("subscription", id);
      if (isEnded(record.state.status)) return failure(400, "subscription_ended", `the subscription is ${record.state.status}`);
      const now = await this.currentTime(record.testClock);
      return this.commit(idem, () => {
        const state = this.store.load()!.state;
        if (isEnded(state.status)) return failure<InvoiceLine>(400, "subscription_ended", `the subscription is ${state.status}`);
        const [line] = this.store.addPending([
          { type: "invoice_item", description: item.description, amount: item.amount, quantity: 1, plan: null, periodStart: now, periodEnd: now },
        ]);
        return ok(lineView(line!), 201);
      });
    });
  }

  /** Bills every pending line now (billing_reason: manual). */
  async invoiceNow(id: string, idem: Idempotency | null): Promise<Outcome<Invoice>> {
    return this.once(idem, async () => {
      const record = this.loadFor(id);
      if (!record) return notFound("subscription", id);
      if (isEnded(record.state.status)) return failure(400, "subscription_ended", `the subscription is ${record.state.status}`);
      if (this.store.pending().length === 0) return failure(400, "nothing_to_invoice", "There are no pending lines to invoice.");
      const now = await this.currentTime(record.testClock);
      let invoiceId = "";
      const committed = this.commit(idem, () => {
        const state = this.store.load()!.state;
        if (isEnded(state.status)) return failure<Invoice>(400, "subscription_ended", `the subscription is ${state.status}`);
        if (this.store.pending().length === 0) return failure<Invoice>(400, "nothing_to_invoice", "There are no pending lines to invoice.");
        invoiceId = this.finalizeInvoice(state, { reason: "manual", period: { start: now, end: now }, lines: [], includePending: true }, now);
        this.markChanged();
        return ok(this.invoiceOf(invoiceId, this.store.load()!), 201);
      });
      if (!committed.ok) return committed;
      await this.settle(now);
      return ok(this.invoiceOf(invoiceId, this.store.load()!), 201);
    });
  }

  // ---- reads -------------------------------------------------------------------------

  async invoices(id: string, limit: number, before: string | null): Promise<Outcome<ListPage<Invoice>>> {
    const record = this.loadFor(id);
    if (!record) return notFound("subscription", id);
    const rows = this.store.invoices(limit + 1, before);
    const page = rows.slice(0, limit).map((row) => invoiceView(row, this.store.lines(row.id), record));
    return ok({ object: "list", data: page, has_more: rows.length > limit, next_cursor: rows.length > limit ? page.at(-1)!.id : null });
  }

  async invoice(invoiceId: string): Promise<Outcome<Invoice>> {
    const record = this.store.load();
    if (!record || !this.store.invoice(invoiceId)) return notFound("invoice", invoiceId);
    return ok(this.invoiceOf(invoiceId, record));
  }

  async payments(invoiceId: string): Promise<Outcome<ListPage<Payment>>> {
    if (!this.store.invoice(invoiceId)) return notFound("invoice", invoiceId);
    const data = this.store.payments(invoiceId).map(paymentView);
    return ok({ object: "list", data, has_more: false, next_cursor: null });
  }

  async events(id: string, limit: number, cursor: string | null) {
    if (!this.loadFor(id)) return notFound("subscription", id);
    const after = cursor ? Number(cursor) : 0;
    if (!Number.isInteger(after) || after < 0) return failure(400, "parameter_invalid", "Invalid cursor.", "cursor");
    const rows = this.store.events(limit + 1, after);
    const data = rows.slice(0, limit).map((e) => ({ id: e.id, object: "event" as const, type: e.type, created: toIso(e.created), data: JSON.parse(e.data) as { object: Record<string, unknown> } }));
    const hasMore = rows.length > limit;
    return ok({ object: "list" as const, data, has_more: hasMore, next_cursor: hasMore ? String(rows[limit - 1]!.seq) : null });
  }

  // ---- payments ----------------------------------------------------------------------

  /** POST /v1/invoices/{id}/pay: one attempt now with the customer's payment method. */
  async pay(invoiceId: string, idem: Idempotency | null): Promise<Outcome<Invoice>> {
    return this.once(idem, async () => {
      const record = this.store.load();
      const invoice = this.store.invoice(invoiceId);
      if (!record || !invoice) return notFound("invoice", invoiceId);
      if (invoice.status !== "open") return failure(400, "invoice_not_open", `The invoice is ${invoice.status}; only an open invoice can be paid.`);
      const seen = invoice.attempt_count;
      const now = await this.currentTime(record.testClock);
      await this.attemptPayment(invoiceId, now, seen);
      return ok(this.invoiceOf(invoiceId, this.store.load()!));
    });
  }

  /** A payment made outside the gateway (method: manual); partial payments allowed. */
  async recordManualPayment(invoiceId: string, body: { amount: number; reference: string }, idem: Idempotency | null): Promise<Outcome<Payment>> {
    return this.once(idem, async () => {
      const record = this.store.load();
      if (!record || !this.store.invoice(invoiceId)) return notFound("invoice", invoiceId);
      const now = await this.currentTime(record.testClock);
      return this.commit(idem, () => {
        const invoice = this.store.invoice(invoiceId)!;
        if (invoice.status !== "open") return failure<Payment>(400, "invoice_not_open", `The invoice is ${invoice.status}; only an open invoice takes payments.`);
        const remaining = invoice.amount_due - invoice.amount_paid;
        if (body.amount > remaining) {
          return failure<Payment>(400, "amount_too_large", `The payment (${body.amount}) is more than the amount remaining (${remaining}).`, "amount");
        }
        const paymentId = this.store.insertPayment({
          invoice_id: invoiceId, amount: body.amount, currency: invoice.currency, status: "succeeded", method: "manual",
          failure_code: null, failure_message: null, attempt: invoice.attempt_count, reference: body.reference,
          gateway_key: null, gateway_reference: null, created: now, payment_method: null,
        });
        this.creditPayment(invoiceId, body.amount, now);
        return ok(paymentView(this.store.payment(paymentId)!), 201);
      });
    });
  }

  async voidInvoice(invoiceId: string, idem: Idempotency | null) {
    return this.closeInvoice(invoiceId, "void", idem);
  }

  async markUncollectible(invoiceId: string, idem: Idempotency | null) {
    return this.closeInvoice(invoiceId, "uncollectible", idem);
  }

  /** A new payment method on the customer: retry its open invoices at once (API.md §3). */
  async retryAfterPaymentMethodUpdate(id: string): Promise<Outcome<Subscription>> {
    const record = this.loadFor(id);
    if (!record) return notFound("subscription", id);
    if (!["past_due", "unpaid", "incomplete"].includes(record.state.status)) return ok(subscriptionView(record));
    const open = this.store.openInvoices();
    const now = await this.currentTime(record.testClock);
    for (const invoice of open) await this.attemptPayment(invoice.id, now, invoice.attempt_count);
    return ok(this.view());
  }

  // ---- time: alarms and test clocks --------------------------------------------------

  /** For the test clock: when this subscription's next job is due (null for none). */
  async nextDueAt(): Promise<Instant | null> {
    return this.store.nextJob()?.due_at ?? null;
  }

  /** For the test clock: runs the jobs due at the earliest time ≤ limit; returns the next due time. */
  async runJobsUntil(limit: Instant): Promise<Instant | null> {
    await this.settle(limit);
    return this.store.nextJob()?.due_at ?? null;
  }

  protected override nextJobAt(): number | null {
    const record = this.store.load();
    if (!record || record.testClock) return null;
    const job = this.store.nextJob();
    return job ? job.due_at * 1000 : null;
  }

  protected override async runDueJobs(): Promise<void> {
    const record = this.store.load();
    if (!record || record.testClock) return;
    await this.settle(instantFromMillis(Date.now()));
  }

  /** Runs every job due at or before `until`, in time order, each at its own due time. */
  private async settle(until: Instant): Promise<void> {
    let previous = "";
    for (let guard = 0; guard < 10_000; guard++) {
      const job = this.store.nextJob();
      if (!job || job.due_at > until) break;
      const key = `${job.kind}:${job.invoice_id}:${job.due_at}`;
      if (key === previous) {
        // A job that ran and left itself due has nothing left to do: drop it, never spin.
        this.transaction(() => this.store.unschedule(job.kind, job.invoice_id));
        continue;
      }
      previous = key;
      await this.runJob(job);
    }
    await this.flushReadModel();
  }

  private async runJob(job: JobRow): Promise<void> {
    const at = job.due_at;
    switch (job.kind) {
      case "renew":
        return this.renewAt(at);
      case "retry_payment":
        if (!shouldAttemptAutomatically(this.store.load()!.state.status)) {
          this.transaction(() => this.store.unschedule("retry_payment", job.invoice_id));
          return;
        }
        return this.attemptPayment(job.invoice_id, at);
      case "reconcile_payment":
        return this.reconcile(job.invoice_id, at);
      case "expire_incomplete":
        return this.expireIncomplete(job.invoice_id, at);
      case "trial_will_end":
        this.transaction(() => {
          this.store.unschedule("trial_will_end");
          this.store.recordEvent("subscription.trial_will_end", this.view(), at);
        });
        return;
    }
  }

  /** Rule 3. Idempotent: the job's time must still be the period end, or it was done. */
  private renewAt(at: Instant): void {
    this.transaction(() => {
      const record = this.store.load()!;
      if (record.state.currentPeriodEnd !== at || isEnded(record.state.status)) {
        this.store.unschedule("renew");
        return;
      }
      const decision = renew(record.state);
      this.apply(decision, at, decision.ok && decision.state.status === "canceled" ? "subscription.canceled" : "subscription.updated");
    });
  }

  private expireIncomplete(invoiceId: string, at: Instant): void {
    this.transaction(() => {
      this.store.unschedule("expire_incomplete", invoiceId);
      const record = this.store.load()!;
      const invoice = this.store.invoice(invoiceId);
      if (record.state.status !== "incomplete" || invoice?.status !== "open") return;
      this.store.updateInvoice(invoiceId, { status: "void", voided_at: at, next_payment_attempt: null });
      this.store.unscheduleInvoice(invoiceId);
      this.store.recordEvent("invoice.voided", this.invoiceOf(invoiceId, record), at);
      this.endSubscription(record.state, "incomplete_expired", at);
    });
  }

  // ---- the write path ----------------------------------------------------------------

  /**
   * Persists a decision (inside the caller's transaction): the new state, its invoice with
   * every pending line, new pending lines, the renewal job, and the event.
   */
  private apply(decision: Decision, at: Instant, eventType: string): void {
    if (!decision.ok) return;
    const { state } = decision;
    this.store.saveState(state);
    this.store.addPending(decision.pending);
    if (decision.invoice) this.finalizeInvoice(state, decision.invoice, at);
    if (isEnded(state.status)) {
      this.endSubscription(this.store.load()!.state, state.status, at);
    } else {
      this.store.schedule("renew", state.currentPeriodEnd);
    }
    this.store.recordEvent(eventType, this.view(), at);
    this.markChanged();
  }

  /** Rules 2 and 8: the draft's lines plus every pending line, credit applied, finalized. */
  private finalizeInvoice(state: SubscriptionState, draft: InvoiceDraft, at: Instant): string {
    const current = this.store.load()!.state;
    const lines = [...draft.lines, ...this.store.pending()];
    this.store.clearPending();
    const totals = finalizeTotals(lines, current.creditBalance);
    this.store.saveState({ ...state, creditBalance: totals.creditBalanceAfter });
    const invoiceId = this.store.insertInvoice({ lines, totals, currency: state.plan.currency, reason: draft.reason, period: draft.period, at });
    const record = this.store.load()!;
    this.store.recordEvent("invoice.created", this.invoiceOf(invoiceId, record), at);
    this.store.recordEvent("invoice.finalized", this.invoiceOf(invoiceId, record), at);
    if (totals.status === "paid") this.store.recordEvent("invoice.paid", this.invoiceOf(invoiceId, record), at);
    else if (shouldAttemptAutomatically(state.status)) this.store.schedule("retry_payment", at, invoiceId);
    return invoiceId;
  }

  /**
   * One gateway attempt. Phase 1 records a pending payment and a reconcile job; phase 2 calls
   * the gateway with a key unique to the invoice and attempt; phase 3 records the result.
   * If the actor dies between 1 and 3, the reconcile job asks the gateway again under the
   * same key, which never charges twice.
   */
  private async attemptPayment(invoiceId: string, at: Instant, seenAttempts?: number): Promise<void> {
    const record = this.store.load()!;
    // The attempt count this caller saw before any await: if another attempt ran meanwhile,
    // this one is a duplicate and is dropped (two concurrent /pay calls make one attempt).
    const expected = seenAttempts ?? this.store.invoice(invoiceId)?.attempt_count;
    const customer = await customerStub(this.env, record.customer)?.get(record.customer);
    const paymentMethod = customer?.ok ? customer.value.payment_method : null;
    const prepared = this.transaction(() => {
      const invoice = this.store.invoice(invoiceId);
      if (!invoice || invoice.status !== "open") {
        this.store.unschedule("retry_payment", invoiceId);
        return null;
      }
      if (invoice.attempt_count !== expected) return null;
      if (this.store.payments(invoiceId).some((p) => p.status === "pending")) return null;
      this.store.unschedule("retry_payment", invoiceId);
      const attempt = invoice.attempt_count + 1;
      const amount = invoice.amount_due - invoice.amount_paid;
      const key = `${invoiceId}:attempt:${attempt}`;
      this.store.updateInvoice(invoiceId, { attempt_count: attempt, next_payment_attempt: null });
      const paymentId = this.store.insertPayment({
        invoice_id: invoiceId, amount, currency: invoice.currency, status: "pending", method: "card", failure_code: null,
        failure_message: null, attempt, reference: null, gateway_key: key, gateway_reference: null, created: at,
        payment_method: paymentMethod,
      });
      this.store.schedule("reconcile_payment", at + RECONCILE_AFTER_SECONDS, invoiceId);
      return { paymentId, amount, key, currency: invoice.currency };
    });
    if (!prepared) return;
    const result = await this.chargeOrPending({
      invoiceId,
      customerId: record.customer,
      paymentMethod,
      amount: prepared.amount,
      currency: prepared.currency,
      idempotencyKey: prepared.key,
    });
    this.applyChargeResult(prepared.paymentId, result, at);
  }

  private async chargeOrPending(request: Parameters<Config["gateway"]["charge"]>[0]): Promise<ChargeResult> {
    try {
      return await this.config.gateway.charge(request);
    } catch (error) {
      console.warn(`gateway ${this.config.gateway.name} failed for ${request.idempotencyKey}; will reconcile`, error);
      return { status: "pending", reference: null };
    }
  }

  /**
   * An asynchronous gateway result (a Stripe webhook) for the attempt made under
   * `gatewayKey`. Applied once: duplicates and late, out-of-order deliveries change nothing.
   */
  async applyGatewayResult(invoiceId: string, gatewayKey: string, result: ChargeResult): Promise<Outcome<{ applied: boolean }>> {
    const record = this.store.load();
    const payment = record ? this.store.payments(invoiceId).find((p) => p.gateway_key === gatewayKey) : undefined;
    if (!record || !payment) return notFound("payment", gatewayKey);
    const at = await this.currentTime(record.testClock);
    const applied = payment.status === "pending" && result.status !== "pending";
    this.applyChargeResult(payment.id, result, at);
    await this.flushReadModel();
    return ok({ applied });
  }

  /** Asks the gateway again, under the same key, about a payment whose result was lost. */
  /**
   * Asks again with exactly the first request (same key, amount and payment method), which
   * the gateway answers from its idempotency cache. Stripe keeps keys for 24 hours, so after
   * RECONCILE_WINDOW_SECONDS we stop asking (a new request could charge twice) and leave the
   * payment pending for the webhook, or for an operator to void or settle the invoice.
   */
  private async reconcile(invoiceId: string, at: Instant): Promise<void> {
    const pending = this.store.payments(invoiceId).filter((p) => p.status === "pending" && p.method === "card" && at - p.created < RECONCILE_WINDOW_SECONDS);
    if (pending.length === 0) {
      this.transaction(() => this.store.unschedule("reconcile_payment", invoiceId));
      return;
    }
    const record = this.store.load()!;
    for (const payment of pending) {
      const result = await this.chargeOrPending({
        invoiceId, customerId: record.customer, paymentMethod: payment.payment_method,
        amount: payment.amount, currency: payment.currency, idempotencyKey: payment.gateway_key!,
      });
      this.applyChargeResult(payment.id, result, at);
    }
  }

  /** Records a gateway result exactly once: a payment that is no longer pending is left alone. */
  applyChargeResult(paymentId: string, result: ChargeResult, at: Instant): void {
    this.transaction(() => {
      const payment = this.store.payment(paymentId);
      if (!payment || payment.status !== "pending") return;
      if (result.status === "pending") {
        this.store.schedule("reconcile_payment", at + RECONCILE_AFTER_SECONDS, payment.invoice_id);
        return;
      }
      this.store.unschedule("reconcile_payment", payment.invoice_id);
      if (result.status === "succeeded") {
        this.store.settlePayment(paymentId, { status: "succeeded", failure_code: null, failure_message: null, gateway_reference: result.reference });
        this.store.recordEvent("payment.succeeded", paymentView(this.store.payment(paymentId)!), at);
        this.creditPayment(payment.invoice_id, payment.amount, at);
        return;
      }
      this.store.settlePayment(paymentId, { status: "failed", failure_code: result.code, failure_message: result.message, gateway_reference: result.reference });
      this.store.recordEvent("payment.failed", paymentView(this.store.payment(paymentId)!), at);
      this.dunAfterFailure(payment.invoice_id, payment.attempt, at);
    });
  }

  /** Rule 9 after a failed attempt: retry on the ladder, go incomplete, or the final action. */
  private dunAfterFailure(invoiceId: string, attempt: number, at: Instant): void {
    const record = this.store.load()!;
    const invoice = this.store.invoice(invoiceId)!;
    const step = afterFailedAttempt(this.config.dunning, {
      status: record.state.status,
      isFirstInvoice: invoice.billing_reason === "subscription_create",
      invoiceCreated: invoice.created,
      attempt,
      failedAt: at,
    });
    this.store.updateInvoice(invoiceId, { next_payment_attempt: step.nextAttemptAt });
    if (step.nextAttemptAt !== null) this.store.schedule("retry_payment", step.nextAttemptAt, invoiceId);
    if (step.expireAt !== null) this.store.schedule("expire_incomplete", step.expireAt, invoiceId);
    this.store.recordEvent("invoice.payment_failed", this.invoiceOf(invoiceId, record), at);
    if (step.ends) {
      this.endSubscription(record.state, step.status, at);
      this.store.recordEvent("subscription.canceled", this.view(), at);
    } else if (step.status !== record.state.status) {
      this.store.saveState({ ...record.state, status: step.status });
      this.store.recordEvent("subscription.updated", this.view(), at);
    }
    this.markChanged();
  }

  /** Adds a successful payment to its invoice; a fully paid invoice stops its retries. */
  private creditPayment(invoiceId: string, amount: number, at: Instant): void {
    const invoice = this.store.invoice(invoiceId)!;
    const paid = invoice.amount_paid + amount;
    const settled = paid >= invoice.amount_due;
    this.store.updateInvoice(invoiceId, settled ? { amount_paid: paid, status: "paid", paid_at: at, next_payment_attempt: null } : { amount_paid: paid });
    if (!settled) return;
    this.store.unscheduleInvoice(invoiceId);
    const record = this.store.load()!;
    this.store.recordEvent("invoice.paid", this.invoiceOf(invoiceId, record), at);
    this.recomputeStatusAfterSettling(record, at);
  }

  private recomputeStatusAfterSettling(record: SubscriptionRecord, at: Instant): void {
    const status = statusAfterPayment(record.state.status, this.store.openInvoices().length);
    if (status !== record.state.status) {
      this.store.saveState({ ...record.state, status });
      this.store.recordEvent("subscription.updated", this.view(), at);
    }
    this.markChanged();
  }

  private async closeInvoice(invoiceId: string, to: "void" | "uncollectible", idem: Idempotency | null): Promise<Outcome<Invoice>> {
    return this.once(idem, async () => {
      const record = this.store.load();
      if (!record || !this.store.invoice(invoiceId)) return notFound("invoice", invoiceId);
      const now = await this.currentTime(record.testClock);
      return this.commit(idem, () => {
        const invoice = this.store.invoice(invoiceId)!;
        if (invoice.status !== "open") return failure<Invoice>(400, "invoice_not_open", `The invoice is ${invoice.status}; only an open invoice can be ${to === "void" ? "voided" : "marked uncollectible"}.`);
        this.store.updateInvoice(invoiceId, { status: to, next_payment_attempt: null, ...(to === "void" ? { voided_at: now } : {}) });
        this.store.unscheduleInvoice(invoiceId);
        const current = this.store.load()!;
        this.store.recordEvent(to === "void" ? "invoice.voided" : "invoice.marked_uncollectible", this.invoiceOf(invoiceId, current), now);
        if (current.state.status === "incomplete" && invoice.billing_reason === "subscription_create") {
          this.endSubscription(current.state, "incomplete_expired", now);
          this.markChanged();
        } else {
          this.recomputeStatusAfterSettling(current, now);
        }
        return ok(this.invoiceOf(invoiceId, this.store.load()!));
      });
    });
  }

  /** An ended subscription has no renewal or retries left; its open invoices stay open. */
  private endSubscription(state: SubscriptionState, status: SubscriptionState["status"], at: Instant): void {
    this.store.saveState({ ...state, status, endedAt: state.endedAt ?? at, canceledAt: status === "canceled" ? (state.canceledAt ?? at) : state.canceledAt });
    this.store.unschedule("renew");
    this.store.unschedule("trial_will_end");
    for (const invoice of this.store.openInvoices()) {
      this.store.unschedule("retry_payment", invoice.id);
      this.store.unschedule("expire_incomplete", invoice.id);
      this.store.updateInvoice(invoice.id, { next_payment_attempt: null });
    }
  }

  // ---- helpers -----------------------------------------------------------------------

  /** What a change needs from outside this actor: the new plan's terms and the time. */
  private async changeInputs(id: string, body: SubscriptionChange): Promise<Outcome<{ plan: PlanTerms | null; now: Instant }>> {
    const record = this.loadFor(id);
    if (!record) return notFound("subscription", id);
    let plan: PlanTerms | null = null;
    if (body.plan !== undefined) {
      const found = await this.activePlan(body.plan);
      if (!found.ok) return found;
      plan = found.value;
    }
    return ok({ plan, now: await this.currentTime(record.testClock) });
  }

  /** Decides a change on the current state (synchronous: call it inside the transaction). */
  private decideChange(body: SubscriptionChange, inputs: { plan: PlanTerms | null; now: Instant }): Outcome<Decision & { ok: true }> {
    const state = this.store.load()!.state;
    const plan = inputs.plan && inputs.plan.id !== state.plan.id ? inputs.plan : null;
    const decision = changeSubscription(state, { plan, quantity: body.quantity ?? null, prorationBehavior: body.proration_behavior, now: inputs.now });
    if (!decision.ok) return failure(400, decision.error.code, decision.error.message, decision.error.param);
    return ok(decision);
  }

  private async activePlan(planId: string): Promise<Outcome<PlanTerms>> {
    const plan = await planStub(this.env, planId)?.get(planId);
    if (!plan?.ok) return failure(400, "resource_missing", `No such plan: '${planId}'`, "plan");
    if (!plan.value.active) return failure(400, "plan_inactive", `The plan '${planId}' is inactive and cannot be given to subscriptions.`, "plan");
    const p = plan.value;
    return ok({ id: p.id, name: p.name, currency: p.currency, amount: p.amount, cadence: { interval: p.interval, intervalCount: p.interval_count }, trialDays: p.trial_days });
  }

  /**
   * "Now" for a request: its test clock's frozen time, or the platform clock. Jobs already
   * due by then (a renewal whose alarm is a moment late) run first, so every decision is
   * made on the period that is current at that instant.
   */
  private async currentTime(testClock: string | null): Promise<Instant> {
    const now = await this.clockTime(testClock);
    if (this.store.load()) await this.settle(now);
    return now;
  }

  private async clockTime(testClock: string | null): Promise<Instant> {
    if (!testClock) return instantFromMillis(Date.now());
    const clock = await (await testClockStub(this.env, testClock))?.get(testClock);
    if (!clock?.ok) throw new Error(`test clock ${testClock} of subscription ${this.name} is missing`);
    return clock.value.frozen_time_instant;
  }

  private loadFor(id: string): SubscriptionRecord | null {
    const record = this.store.load();
    return record && record.id === id ? record : null;
  }

  private view(): Subscription {
    return subscriptionView(this.store.load()!);
  }

  private invoiceOf(invoiceId: string, record: SubscriptionRecord): Invoice {
    const row: InvoiceRow = this.store.invoice(invoiceId)!;
    return invoiceView(row, this.store.lines(invoiceId), record);
  }

  private markChanged(): void {
    this.markReadModelDirty();
  }

  protected override readModelVersion(): number {
    return this.store.load()?.version ?? 0;
  }

  protected override async writeReadModel(): Promise<void> {
    const record = this.store.load();
    if (!record) return;
    const summary = summaryOf(record);
    await this.env.BILLIFY_KV.put(summaryKey(record.id), JSON.stringify(summary), { metadata: summary });
  }
}
