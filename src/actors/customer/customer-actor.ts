import { mirrorCustomer } from "../../admin/customer-index";
import { ADMIN_MIRROR_TABLE, bumpChangeCount, changeCount, mirrorIsBehind } from "../../admin/mirror-state";
import type { ListPage } from "../../contract/common";
import type { Customer, CustomerCreate, CustomerUpdate } from "../../contract/customer";
import type { Outcome } from "../../contract/errors";
import type { Idempotency } from "../../contract/idempotency";
import type { EmailMessage, EventEnvelope } from "../../contract/messages";
import type { BillingPortalSession } from "../../contract/portal";
import { paymentPushRetryAt } from "../../domain/customer";
import type { Instant } from "../../domain/time";
import type { Query } from "../../lib/sql";
import { parseEmailSettings } from "../../notifications/email/config";
import type { EmailProvider } from "../../notifications/email/providers";
import { emailProviderFor } from "../../notifications/email/providers";
import { flushOutbox, Outbox } from "../../notifications/outbox";
import { Actor } from "../actor";
import { IdempotentRequests } from "../capabilities/idempotent-requests";
import { ReadModel } from "../capabilities/read-model";
import { queryOnDemand } from "../capabilities/tables-on-demand";
import type { VersionedPaymentDetails } from "../subscription/context";
import type { CustomerContext } from "./context";
import { customerNamed, loadCustomer } from "./context";
import type { EmailResult } from "./emails";
import { markEmailDead, sendEventEmail } from "./emails";
import type { IngestAnswer, IngestEvent } from "./meter-events";
import { versionedPaymentDetails } from "./payment-details";
import type { SubscriptionRef } from "./payment-push";
import { PaymentPush } from "./payment-push";
import * as portal from "./portal";
import { createCustomer, updateCustomer } from "./profile";
import * as reads from "./reads";
import { CUSTOMER_MIGRATIONS, CUSTOMER_SCHEMA, EMAIL_TABLES, METER_EVENT_TABLES, PORTAL_SESSION_TABLE } from "./schema";
import * as refs from "./subscription-refs";
import { recordMeterEvents, USAGE_RETRY_MS, UsageForwarder } from "./usage-forwarding";

/**
 * One actor per customer. It holds the customer and the index of its subscriptions, which
 * is what makes `GET /v1/customers/{id}/subscriptions` (and `/invoices`) strongly consistent.
 *
 * This class is the RPC surface, the outbox and the alarm; each request runs in the file of
 * its concern (profile, payment-details and payment-push, subscription-refs, reads, emails) against `context`,
 * not the whole actor.
 */
export class CustomerActor extends Actor {
  protected readonly migrations = CUSTOMER_MIGRATIONS;
  protected override readonly freshSchema = CUSTOMER_SCHEMA;
  protected override readonly answersBeforePublishing = true;

  /** The configured provider; tests point it at a local fake (test/notifications). */
  emailProvider: EmailProvider = emailProviderFor(parseEmailSettings(this.env));
  private readonly emailFrom = parseEmailSettings(this.env).from;

  private readonly rows: Query = (statement, ...params) => this.query(statement, ...params);
  /** `_admin_mirror` (src/admin/mirror-state.ts), made on its first save. */
  private readonly mirrorRows: Query = queryOnDemand(this.storage, ADMIN_MIRROR_TABLE);
  /** `email` (emails.ts), made by the first email sent. */
  private readonly emailRows: Query = queryOnDemand(this.storage, EMAIL_TABLES);

  /** What the topic files may use of this actor. */
  private readonly context: CustomerContext = this.makeContext();

  private makeContext(): CustomerContext {
    // Read at each use: a test swaps the actor's env to make its subscriptions unreachable.
    const env = () => this.env;
    return {
      get env() {
        return env();
      },
      query: this.rows,
      portalSessions: queryOnDemand(this.storage, PORTAL_SESSION_TABLE),
      meterEvents: queryOnDemand(this.storage, METER_EVENT_TABLES),
      transaction: (fn) => this.transaction(fn),
      requests: new IdempotentRequests(this.storage, () => this.afterWrite()),
      load: () => loadCustomer(this.rows),
      markChanged: () => {
        this.readModel.markChanged();
        return bumpChangeCount(this.mirrorRows);
      },
      version: () => changeCount(this.mirrorRows),
    };
  }

  /** The versioned copy of the payment details owed to every subscription (payment-push.ts). */
  private readonly paymentPush = new PaymentPush({
    query: this.rows,
    transaction: (fn) => this.transaction(fn),
    env: () => this.env,
    current: () => {
      const customer = this.context.load();
      return customer && { id: customer.id, details: versionedPaymentDetails(this.context, customer) };
    },
  });

  /** Meter events handed to its subscriptions (usage-forwarding.ts). */
  private readonly usageForwarder = new UsageForwarder(this.context);

  /** The customer listing's KV index (src/admin/customer-index.ts). */
  protected override readonly readModel = new ReadModel(this.storage, {
    changeCount: () => changeCount(this.mirrorRows),
    // No flag row: every change the listing shows bumps the change counter, and the mirror
    // records the counter it wrote (two rows fewer per change).
    isBehind: () => mirrorIsBehind(this.mirrorRows),
    write: async () => {
      const customer = this.context.load();
      if (!customer) return;
      return mirrorCustomer(this.env, this.mirrorRows, customer, changeCount(this.mirrorRows), Date.now());
    },
  });

  /** Its jobs: a retry of events left unsent, and of a payment-details push still owed. */
  protected override readonly jobs = {
    nextJobAt: (): number | null => {
      const now = Date.now();
      const candidates = [
        this.outbox.retryAt(now),
        paymentPushRetryAt(this.paymentPush.owed() !== null, now),
        this.usageForwarder.owed() ? now + USAGE_RETRY_MS : null,
      ];
      const due = candidates.filter((t): t is number => t !== null);
      return due.length > 0 ? Math.min(...due) : null;
    },
    runDueJobs: async () => {
      await this.paymentPush.push();
      await this.usageForwarder.retry();
    },
  };

  private readonly outbox = new Outbox(this.rows, this.env.EVENTS_QUEUE, () => {
    const customer = this.context.load()!;
    return { customer: customer.id, source: { actor: "customer", id: customer.id }, plan: null };
  });

  /** The events leave first (the outbox), then the listing. */
  protected override async publishChanges(): Promise<void> {
    await flushOutbox(this.outbox, this.name);
    await super.publishChanges();
  }

  // ---- the customer (profile.ts, reads.ts) -------------------------------------------------

  async create(id: string, input: CustomerCreate, nowMs: number, idem: Idempotency | null): Promise<Outcome<Customer>> {
    return createCustomer(this.context, this.paymentPush, id, input, nowMs, idem);
  }

  async get(id: string): Promise<Outcome<Customer>> {
    return reads.getCustomer(this.context, id);
  }

  async update(id: string, patch: CustomerUpdate, idem: Idempotency | null): Promise<Outcome<Customer>> {
    return updateCustomer(this.context, this.paymentPush, id, patch, idem);
  }

  /** A page of the customer's own events, oldest first; the cursor is the last event's sequence number. */
  async events(customerId: string, limit: number, cursor: string | null): Promise<Outcome<ListPage<EventEnvelope>>> {
    return reads.listEvents(this.context, customerId, limit, cursor);
  }

  // ---- the customer portal (portal.ts, API §11) ---------------------------------------

  /** A single-use portal link for this customer: POST /v1/billing_portal/sessions. */
  async createPortalSession(
    customerId: string,
    input: { id: string; returnUrl: string; now: Instant; ttlSeconds: number; publicUrl: string },
    idem: Idempotency | null,
  ): Promise<Outcome<BillingPortalSession>> {
    return portal.createPortalSession(this.context, customerId, input, idem);
  }

  /** Exchanges a link for a session cookie, once, before it expires. */
  async redeemPortalLink(sessionId: string, secret: string, now: Instant) {
    return portal.redeemPortalLink(this.context, sessionId, secret, now);
  }

  /** The customer a portal session cookie opens; null when it opens nothing. */
  async portalSession(cookieSecret: string, now: Instant) {
    return portal.portalSession(this.context, cookieSecret, now);
  }

  async endPortalSession(cookieSecret: string): Promise<void> {
    return portal.endPortalSession(this.context, cookieSecret);
  }

  // ---- its subscriptions and their copy of the payment details (subscription-refs.ts, payment-details.ts)

  /** For a subscription made before it had a copy: the details now, versioned. */
  async paymentDetails(customerId: string): Promise<Outcome<VersionedPaymentDetails>> {
    return reads.paymentDetails(this.context, customerId);
  }

  /** Records that a subscription belongs to this customer (idempotent); answers its clock and payment details as of now. */
  async addSubscription(customerId: string, ref: SubscriptionRef): Promise<Outcome<refs.Registration>> {
    return refs.addSubscription(this.context, customerId, ref);
  }

  /** Takes back the registration of a create that was refused. */
  async removeSubscription(customerId: string, subscriptionId: string): Promise<void> {
    refs.removeSubscription(this.context, customerId, subscriptionId);
  }

  /** A page of this customer's subscription ids, newest first; the cursor is the last id seen. */
  async subscriptionIds(
    customerId: string,
    limit: number,
    after: string | null,
  ): Promise<Outcome<{ ids: string[]; hasMore: boolean }>> {
    return refs.subscriptionIds(this.context, customerId, limit, after);
  }

  /** Every subscription id of this customer (for fan-out reads such as its invoices). */
  async allSubscriptionIds(customerId: string): Promise<Outcome<string[]>> {
    return refs.allSubscriptionIds(this.context, customerId);
  }

  // ---- meter events (usage-forwarding.ts, meter-events.ts) --------------------------------

  /** Rule 14a, h: records the events of this customer once each and hands them to its subscriptions. */
  async recordMeterEvents(
    customerId: string,
    events: IngestEvent[],
    nowMs: number,
    checkOnly: boolean,
    idem: Idempotency | null = null,
  ): Promise<IngestAnswer> {
    return recordMeterEvents(this.context, this.usageForwarder, customerId, events, nowMs, checkOnly, idem);
  }

  // ---- emails (emails.ts) -----------------------------------------------------------------

  /** The queue consumer's call: this customer's email for one event, at most once per event. */
  async sendEventEmail(message: EmailMessage, nowMs: number): Promise<EmailResult> {
    const customer = customerNamed(this.context, message.customer);
    if (!customer) return { status: "skipped" };
    return sendEventEmail(
      this.emailRows,
      this.env,
      { provider: this.emailProvider, from: this.emailFrom },
      customer,
      message,
      nowMs,
    );
  }

  /** The email queue gave up on this message: show it as failed. */
  async emailDeadLettered(message: EmailMessage, nowMs: number): Promise<void> {
    await markEmailDead(this.emailRows, this.env, message.customer, message, nowMs);
  }
}
