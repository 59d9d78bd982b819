import { ulid } from "ulid";
import { mirrorCustomer } from "../../admin/customer-index";
import type { Query } from "../../admin/mirror-state";
import { bumpMirrorVersion, mirrorVersion } from "../../admin/mirror-state";
import type { ListPage } from "../../contract/common";
import { MAX_METADATA_KEYS, mergeMetadata, tooManyMetadataKeys } from "../../contract/common";
import type { Customer, CustomerCreate, CustomerUpdate } from "../../contract/customer";
import type { Outcome } from "../../contract/errors";
import { failure, notFound, ok } from "../../contract/errors";
import type { EmailMessage, EventEnvelope } from "../../contract/messages";
import type { CustomerFields } from "../../domain/customer";
import { decideCustomerUpdate, paymentDetailsOf as detailsOfFields } from "../../domain/customer";
import type { Instant } from "../../domain/time";
import { instantFromMillis, parseIso, toIso } from "../../domain/time";
import { parseEmailSettings } from "../../notifications/email/config";
import type { EmailProvider } from "../../notifications/email/providers";
import { emailProviderFor } from "../../notifications/email/providers";
import type { EventRow } from "../../notifications/outbox";
import { envelopeOf, flushOutbox, Outbox } from "../../notifications/outbox";
import type { Idempotency } from "../actor";
import { Actor } from "../actor";
import { subscriptionStub, testClockStub } from "../stubs";
import type { CustomerPaymentDetails, VersionedPaymentDetails } from "../subscription/context";
import type { EmailResult } from "./emails";
import { markEmailDead, sendEventEmail } from "./emails";
import type { IngestAnswer, IngestEvent } from "./meter-events";
import { eventsAfter, lastEventSeq, recordEvents, timestampRefusal } from "./meter-events";
import type { SubscriptionRef } from "./payment-push";
import { PaymentPush } from "./payment-push";
import { CUSTOMER_MIGRATIONS, CUSTOMER_SCHEMA } from "./schema";

type MeterQuery = Parameters<typeof lastEventSeq>[0];

/** Events handed to a subscription per call. */
const USAGE_FORWARD_BATCH = 1000;

/** While a payment-details push is owed, the alarm tries again this soon. */
const PAYMENT_PUSH_RETRY_MS = 10_000;

function fieldsOf(customer: Customer): CustomerFields {
  return {
    email: customer.email,
    name: customer.name,
    paymentMethod: customer.payment_method,
    metadata: customer.metadata,
  };
}

/** What a card attempt charges, as the customer holds it. */
function paymentDetailsOf(customer: Customer): CustomerPaymentDetails {
  return detailsOfFields(fieldsOf(customer));
}

interface CustomerRow {
  id: string;
  email: string | null;
  name: string | null;
  payment_method: string | null;
  test_clock: string | null;
  metadata: string;
  created: number;
}

export type { SubscriptionRef } from "./payment-push";

/**
 * One actor per customer. It holds the customer and the index of its subscriptions, which
 * is what makes `GET /v1/customers/{id}/subscriptions` (and `/invoices`) strongly consistent.
 */
export class CustomerActor extends Actor {
  protected readonly migrations = CUSTOMER_MIGRATIONS;
  protected override readonly freshSchema = CUSTOMER_SCHEMA;
  protected override readonly answersBeforeMirroring = true;

  /** The configured provider; tests point it at a local fake (test/notifications). */
  emailProvider: EmailProvider = emailProviderFor(parseEmailSettings(this.env));
  private readonly emailFrom = parseEmailSettings(this.env).from;

  private readonly outbox = new Outbox(
    (statement, ...params) => this.query(statement, ...params),
    this.env.EVENTS_QUEUE,
    () => {
      const customer = this.load()!;
      return { customer: customer.id, source: { actor: "customer", id: customer.id }, plan: null };
    },
  );

  async create(id: string, input: CustomerCreate, nowMs: number, idem: Idempotency | null): Promise<Outcome<Customer>> {
    return this.idempotently(idem, async () => {
      const clockId = input.test_clock ?? null;
      if (clockId) {
        const clock = await (await testClockStub(this.env, clockId))?.get(clockId);
        if (!clock?.ok) return failure(400, "resource_missing", `No such test clock: '${clockId}'`, "test_clock");
      }
      return this.commit(idem, () => {
        if (this.load()) return failure<Customer>(409, "resource_already_exists", `Customer '${id}' already exists`);
        this.query(
          `INSERT INTO customer (id, email, name, payment_method, test_clock, metadata, created)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
          id,
          input.email ?? null,
          input.name ?? null,
          input.payment_method ?? null,
          clockId,
          JSON.stringify(input.metadata),
          Math.floor(nowMs / 1000),
        );
        this.markListingChanged();
        const customer = this.load()!;
        this.recordEvent("customer.created", customer, Math.floor(nowMs / 1000));
        return ok(customer, 201);
      });
    });
  }

  async get(id: string): Promise<Outcome<Customer>> {
    const customer = this.load();
    return customer && customer.id === id ? ok(customer) : notFound("customer", id);
  }

  async update(id: string, patch: CustomerUpdate, idem: Idempotency | null): Promise<Outcome<Customer>> {
    return this.idempotently(idem, async () => {
      const at = await this.customerTime();
      const outcome = this.commit(idem, () => {
        const customer = this.load();
        if (!customer || customer.id !== id) return notFound<Customer>("customer", id);
        const metadata = mergeMetadata(customer.metadata, patch.metadata ?? {});
        if (Object.keys(metadata).length > MAX_METADATA_KEYS) return tooManyMetadataKeys<Customer>();
        const decided = decideCustomerUpdate(
          fieldsOf(customer),
          {
            ...(patch.email !== undefined ? { email: patch.email } : {}),
            ...(patch.name !== undefined ? { name: patch.name } : {}),
            ...(patch.payment_method !== undefined ? { paymentMethod: patch.payment_method } : {}),
            metadata,
          },
          at,
        );
        const next = decided.customer;
        this.query(
          "UPDATE customer SET email = ?, name = ?, payment_method = ?, metadata = ?",
          next.email,
          next.name,
          next.paymentMethod,
          JSON.stringify(next.metadata),
        );
        const version = this.markListingChanged();
        const updated = this.load()!;
        if (decided.event) this.recordEvent(decided.event.type, updated, decided.event.at);
        // Owed to every subscription in this same transaction: the push below, or the alarm
        // after a crash, delivers it.
        if (decided.push) this.paymentPush.owe(version, decided.push.retry);
        return ok(updated);
      });
      await this.paymentPush.push();
      return outcome;
    });
  }

  /** The customer's time: its test clock's frozen time when it is on one (and it exists), else now. */
  private async customerTime(): Promise<Instant> {
    const clockId = this.load()?.test_clock;
    if (clockId) {
      const clock = await (await testClockStub(this.env, clockId))?.get(clockId);
      if (clock?.ok) return clock.value.frozen_time_instant;
    }
    return instantFromMillis(Date.now());
  }

  // ---- payment details: a versioned copy on each subscription -----------------------------
  // A renewal charges the copy its subscription holds, with no round trip here. Every change
  // is owed to every subscription (`_meta.payment_push` = the version owed, written with the
  // change), pushed right after the commit and again by the alarm until all have it. A copy
  // carries the customer's version, so a late or repeated push never replaces a newer one.

  /** The payment details as of now, with the version they belong to. */
  private versionedPaymentDetails(customer: Customer): VersionedPaymentDetails {
    return { ...paymentDetailsOf(customer), version: mirrorVersion(this.mirrorSql) };
  }

  /** For a subscription made before it had a copy: the details now, versioned. */
  async paymentDetails(customerId: string): Promise<Outcome<VersionedPaymentDetails>> {
    const customer = this.load();
    if (!customer || customer.id !== customerId) return notFound("customer", customerId);
    return ok(this.versionedPaymentDetails(customer));
  }

  private readonly paymentPush = new PaymentPush({
    query: (statement, ...params) => this.query(statement, ...params),
    transaction: (fn) => this.transaction(fn),
    env: () => this.env,
    current: () => {
      const customer = this.load();
      return customer && { id: customer.id, details: this.versionedPaymentDetails(customer) };
    },
  });

  /** Records that a subscription belongs to this customer (idempotent); answers the payment details as of now. */
  async addSubscription(customerId: string, ref: SubscriptionRef): Promise<Outcome<VersionedPaymentDetails>> {
    const customer = this.load();
    if (!customer || customer.id !== customerId) return notFound("customer", customerId, "customer");
    // Its usage starts with the events to come: those already recorded predate it (rule 14b).
    this.query(
      "INSERT OR IGNORE INTO subscription_ref (id, created_ms, usage_acked) VALUES (?, ?, ?)",
      ref.id,
      ref.created_ms,
      lastEventSeq((q, ...p) => this.query(q, ...p)),
    );
    return ok(this.versionedPaymentDetails(customer));
  }

  /** A page of this customer's subscription ids, newest first; the cursor is the last id seen. */
  async subscriptionIds(
    customerId: string,
    limit: number,
    after: string | null,
  ): Promise<Outcome<{ ids: string[]; hasMore: boolean }>> {
    const customer = this.load();
    if (!customer || customer.id !== customerId) return notFound("customer", customerId);
    const rows = after
      ? this.query<{ id: string }>(
          "SELECT id FROM subscription_ref WHERE id < ? ORDER BY id DESC LIMIT ?",
          after,
          limit + 1,
        )
      : this.query<{ id: string }>("SELECT id FROM subscription_ref ORDER BY id DESC LIMIT ?", limit + 1);
    return ok({ ids: rows.slice(0, limit).map((r) => r.id), hasMore: rows.length > limit });
  }

  /** Every subscription id of this customer (for fan-out reads such as its invoices). */
  async allSubscriptionIds(customerId: string): Promise<Outcome<string[]>> {
    const customer = this.load();
    if (!customer || customer.id !== customerId) return notFound("customer", customerId);
    return ok(this.query<{ id: string }>("SELECT id FROM subscription_ref ORDER BY id DESC").map((r) => r.id));
  }

  // ---- meter events (meter-events.ts) ---------------------------------------------------

  /**
   * Rule 14a, h: validates the events' timestamps against the customer's clock, then records
   * them (each identifier once, in the same transaction as its event) and hands them to every
   * subscription of the customer before answering. `checkOnly`: validate, record nothing (the
   * first phase of a batch that spans customers).
   */
  async recordMeterEvents(
    customerId: string,
    events: IngestEvent[],
    nowMs: number,
    checkOnly: boolean,
    idem: Idempotency | null = null,
  ): Promise<IngestAnswer> {
    const customer = this.load();
    if (!customer || customer.id !== customerId)
      return {
        ok: false,
        status: 400,
        refusal: {
          index: 0,
          code: "resource_missing",
          message: `No such customer: '${customerId}'`,
          param: "payload.customer",
        },
      };
    const now = await this.clockNow(customer, nowMs);
    const refused = timestampRefusal(events, now);
    if (refused) return { ok: false, status: 400, refusal: refused };
    if (checkOnly) return { ok: true, events: [] };
    // With an Idempotency-Key the answer is kept with the events (a replay answers it again).
    const outcome = await this.idempotently(idem, () =>
      this.commit(idem, () => ok({ events: recordEvents((q, ...p) => this.query(q, ...p), events, now) })),
    );
    await this.forwardUsage(now);
    if (!outcome.ok)
      return {
        ok: false,
        status: outcome.status,
        refusal: {
          index: 0,
          code: outcome.error.code,
          message: outcome.error.message,
          param: outcome.error.param ?? "",
        },
        error: outcome.error,
      };
    return { ok: true, events: outcome.value.events, ...(outcome.replayed ? { replayed: true } : {}) };
  }

  /** Now on the customer's clock: its test clock's frozen_time, or the platform's. */
  private async clockNow(customer: Customer, nowMs: number): Promise<Instant> {
    if (!customer.test_clock) return Math.floor(nowMs / 1000);
    const clock = await (await testClockStub(this.env, customer.test_clock))?.get(customer.test_clock);
    const frozen = clock?.ok ? parseIso(clock.value.frozen_time) : null;
    if (frozen === null) throw new Error(`test clock ${customer.test_clock} of ${customer.id} cannot be read`);
    return frozen;
  }

  private forwarding: Promise<void> | null = null;

  /**
   * Hands every subscription the events after its cursor (one call per subscription per batch of
   * up to 1,000): it counts them with its cursor in one transaction and answers how far it got.
   * What fails here is retried by the alarm (nextJobAt) until every subscription has all of them.
   */
  private async forwardUsage(now: Instant): Promise<void> {
    if (this.forwarding) await this.forwarding.catch(() => undefined);
    const query: MeterQuery = (q, ...p) => this.query(q, ...p);
    const last = lastEventSeq(query);
    const refs = this.query<{ id: string; created_ms: number; usage_acked: number }>(
      "SELECT id, created_ms, usage_acked FROM subscription_ref WHERE usage_acked < ?",
      last,
    );
    this.forwarding = (async () => {
      await Promise.all(
        refs.map(async (ref) => {
          let after = ref.usage_acked;
          try {
            while (after < last) {
              const batch = eventsAfter(query, after, USAGE_FORWARD_BATCH);
              if (batch.length === 0) break;
              const answer = await subscriptionStub(this.env, ref.id)?.recordUsage(ref.id, batch, now);
              if (!answer?.ok) {
                // A subscription that never came to exist (its create failed) counts nothing.
                if (answer?.status === 404 && ref.created_ms < Date.now() - 60_000) after = last;
                else break;
              } else after = answer.value.through;
              this.transaction(() =>
                this.query("UPDATE subscription_ref SET usage_acked = MAX(usage_acked, ?) WHERE id = ?", after, ref.id),
              );
            }
          } catch (error) {
            console.warn(`usage of ${this.name} not yet counted by ${ref.id}; the alarm will retry`, error);
          }
        }),
      );
    })();
    try {
      await this.forwarding;
    } finally {
      this.forwarding = null;
    }
  }

  private usageOwed(): boolean {
    if (!this.exists) return false;
    const last = lastEventSeq((q, ...p) => this.query(q, ...p));
    return this.query("SELECT 1 FROM subscription_ref WHERE usage_acked < ? LIMIT 1", last).length > 0;
  }

  // ---- the customer listing's KV index (src/admin/customer-index.ts) -------------------

  /** Inside the transaction of every change: the listing must show it. */
  private readonly mirrorSql: Query = (statement, ...params) => this.query(statement, ...params);

  /** Returns the customer's new version (it also versions the payment details). */
  private markListingChanged(): number {
    this.markReadModelDirty();
    return bumpMirrorVersion(this.mirrorSql);
  }

  protected override readModelVersion(): number {
    return mirrorVersion(this.mirrorSql);
  }

  protected override async writeReadModel(): Promise<number | undefined> {
    const customer = this.load();
    if (!customer) return;
    return mirrorCustomer(this.env, this.mirrorSql, customer, mirrorVersion(this.mirrorSql), Date.now());
  }

  // ---- events and their outbox ------------------------------------------------------------

  /** A page of the customer's own events, oldest first; the cursor is the last event's sequence number. */
  async events(customerId: string, limit: number, cursor: string | null): Promise<Outcome<ListPage<EventEnvelope>>> {
    const customer = this.load();
    if (!customer || customer.id !== customerId) return notFound("customer", customerId);
    const after = cursor === null ? 0 : /^\d{1,15}$/.test(cursor) ? Number(cursor) : -1;
    if (after < 0)
      return failure(400, "parameter_invalid", "Invalid cursor: pass a next_cursor from a previous page.", "cursor");
    const rows = this.query<EventRow>(
      "SELECT seq, id, type, created, data FROM event WHERE seq > ? ORDER BY seq LIMIT ?",
      after,
      limit + 1,
    );
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    return ok({
      object: "list",
      data: page.map(envelopeOf),
      has_more: hasMore,
      next_cursor: hasMore ? String(page.at(-1)!.seq) : null,
    });
  }

  /** In the transaction of the change it reports (docs/billing-rules.md, Events). */
  private recordEvent(type: "customer.created" | "customer.updated", customer: Customer, at: number): void {
    this.query(
      "INSERT INTO event (id, type, created, data) VALUES (?, ?, ?, ?)",
      `evt_${ulid()}`,
      type,
      at,
      JSON.stringify({ object: customer }),
    );
  }

  protected override async flushReadModel(): Promise<void> {
    await flushOutbox(this.outbox, this.name);
    await super.flushReadModel();
  }

  /** Its jobs: a retry of events left unsent, and of a payment-details push still owed. */
  protected nextJobAt(): number | null {
    const now = Date.now();
    const candidates = [
      this.outbox.retryAt(now),
      this.paymentPush.owed() ? now + PAYMENT_PUSH_RETRY_MS : null,
      this.usageOwed() ? now + PAYMENT_PUSH_RETRY_MS : null,
    ];
    const due = candidates.filter((t): t is number => t !== null);
    return due.length > 0 ? Math.min(...due) : null;
  }

  // ---- emails (emails.ts) -----------------------------------------------------------------

  /** The queue consumer's call: this customer's email for one event, at most once per event. */
  async sendEventEmail(message: EmailMessage, nowMs: number): Promise<EmailResult> {
    const customer = this.load();
    if (!customer || customer.id !== message.customer) return { status: "skipped" };
    return sendEventEmail(
      (s, ...p) => this.query(s, ...p),
      this.env,
      { provider: this.emailProvider, from: this.emailFrom },
      customer,
      message,
      nowMs,
    );
  }

  /** The email queue gave up on this message: show it as failed. */
  async emailDeadLettered(message: EmailMessage, nowMs: number): Promise<void> {
    await markEmailDead((s, ...p) => this.query(s, ...p), this.env, message.customer, message, nowMs);
  }

  private load(): Customer | null {
    const row = this.queryOne<CustomerRow>("SELECT * FROM customer");
    if (!row) return null;
    return {
      id: row.id,
      object: "customer",
      email: row.email,
      name: row.name,
      payment_method: row.payment_method,
      test_clock: row.test_clock,
      metadata: JSON.parse(row.metadata) as Record<string, string>,
      created: toIso(row.created),
    };
  }

  // ---- Actor hooks: no jobs of its own; the alarm only retries the outbox and the listing ----

  protected async runDueJobs(): Promise<void> {
    await this.paymentPush.push();
    const customer = this.load();
    if (customer && this.usageOwed()) await this.forwardUsage(await this.clockNow(customer, Date.now()));
  }
}
