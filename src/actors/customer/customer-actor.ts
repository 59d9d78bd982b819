import type { Customer, CustomerCreate, CustomerUpdate } from "../../contract/customer";
import { MAX_METADATA_KEYS, mergeMetadata, tooManyMetadataKeys } from "../../contract/common";
import { toIso } from "../../domain/time";
import type { Outcome } from "../../errors";
import { failure, notFound, ok } from "../../errors";
import { mirrorCustomer } from "../../admin/customer-index";
import type { Query } from "../../admin/mirror-state";
import { bumpMirrorVersion, mirrorVersion } from "../../admin/mirror-state";
import type { Idempotency } from "../actor";
import { Actor } from "../actor";
import { subscriptionStub, testClockStub } from "../stubs";

interface CustomerRow {
  id: string;
  email: string | null;
  name: string | null;
  payment_method: string | null;
  test_clock: string | null;
  metadata: string;
  created: number;
}

export interface SubscriptionRef {
  id: string;
  created_ms: number;
}

/**
 * One actor per customer. It holds the customer and the index of its subscriptions, which
 * is what makes `GET /v1/customers/{id}/subscriptions` (and `/invoices`) strongly consistent.
 */
export class CustomerActor extends Actor {
  protected readonly migrations = [
    [
      `CREATE TABLE customer (
         id TEXT PRIMARY KEY, email TEXT, name TEXT, payment_method TEXT, test_clock TEXT,
         metadata TEXT NOT NULL, created INTEGER NOT NULL)`,
      `CREATE TABLE subscription_ref (id TEXT PRIMARY KEY, created_ms INTEGER NOT NULL)`,
    ],
  ];

  async create(id: string, input: CustomerCreate, nowMs: number, idem: Idempotency | null): Promise<Outcome<Customer>> {
    return this.once(idem, async () => {
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
          id, input.email ?? null, input.name ?? null, input.payment_method ?? null, clockId,
          JSON.stringify(input.metadata), Math.floor(nowMs / 1000),
        );
        this.markListingChanged();
        return ok(this.load()!, 201);
      });
    });
  }

  async get(id: string): Promise<Outcome<Customer>> {
    const customer = this.load();
    return customer && customer.id === id ? ok(customer) : notFound("customer", id);
  }

  async update(id: string, patch: CustomerUpdate, idem: Idempotency | null): Promise<Outcome<Customer>> {
    return this.once(idem, async () => {
      const outcome = this.commit(idem, () => {
        const customer = this.load();
        if (!customer || customer.id !== id) return notFound<Customer>("customer", id);
        const metadata = mergeMetadata(customer.metadata, patch.metadata ?? {});
        if (Object.keys(metadata).length > MAX_METADATA_KEYS) return tooManyMetadataKeys<Customer>();
        this.query(
          "UPDATE customer SET email = ?, name = ?, payment_method = ?, metadata = ?",
          patch.email !== undefined ? patch.email : customer.email,
          patch.name !== undefined ? patch.name : customer.name,
          patch.payment_method !== undefined ? patch.payment_method : customer.payment_method,
          JSON.stringify(metadata),
        );
        this.markListingChanged();
        return ok(this.load()!);
      });
      if (outcome.ok && patch.payment_method) await this.retryOpenInvoices();
      return outcome;
    });
  }

  /**
   * API.md §3: a new payment method retries, at once, the open invoices of this customer's
   * past_due, unpaid and incomplete subscriptions. Each subscription decides for itself.
   */
  private async retryOpenInvoices(): Promise<void> {
    const refs = this.query<SubscriptionRef>("SELECT id, created_ms FROM subscription_ref");
    await Promise.all(
      refs.map(async (ref) => {
        const stub = subscriptionStub(this.env, ref.id);
        if (stub) await stub.retryAfterPaymentMethodUpdate(ref.id);
      }),
    );
  }

  /** Records that a subscription belongs to this customer (idempotent). */
  async addSubscription(customerId: string, ref: SubscriptionRef): Promise<Outcome<Customer>> {
    const customer = this.load();
    if (!customer || customer.id !== customerId) return notFound("customer", customerId, "customer");
    this.query("INSERT OR IGNORE INTO subscription_ref (id, created_ms) VALUES (?, ?)", ref.id, ref.created_ms);
    return ok(customer);
  }

  /** A page of this customer's subscription ids, newest first; the cursor is the last id seen. */
  async subscriptionIds(customerId: string, limit: number, after: string | null): Promise<Outcome<{ ids: string[]; hasMore: boolean }>> {
    const customer = this.load();
    if (!customer || customer.id !== customerId) return notFound("customer", customerId);
    const rows = after
      ? this.query<{ id: string }>("SELECT id FROM subscription_ref WHERE id < ? ORDER BY id DESC LIMIT ?", after, limit + 1)
      : this.query<{ id: string }>("SELECT id FROM subscription_ref ORDER BY id DESC LIMIT ?", limit + 1);
    return ok({ ids: rows.slice(0, limit).map((r) => r.id), hasMore: rows.length > limit });
  }

  /** Every subscription id of this customer (for fan-out reads such as its invoices). */
  async allSubscriptionIds(customerId: string): Promise<Outcome<string[]>> {
    const customer = this.load();
    if (!customer || customer.id !== customerId) return notFound("customer", customerId);
    return ok(this.query<{ id: string }>("SELECT id FROM subscription_ref ORDER BY id DESC").map((r) => r.id));
  }

  // ---- the customer listing's KV index (src/admin/customer-index.ts) -------------------

  /** Inside the transaction of every change: the listing must show it. */
  private readonly mirrorSql: Query = (statement, ...params) => this.query(statement, ...params);

  private markListingChanged(): void {
    this.markReadModelDirty();
    bumpMirrorVersion(this.mirrorSql);
  }

  protected override readModelVersion(): number {
    return mirrorVersion(this.mirrorSql);
  }

  protected override async writeReadModel(): Promise<number | void> {
    const customer = this.load();
    if (!customer) return;
    return mirrorCustomer(this.env, this.mirrorSql, customer, mirrorVersion(this.mirrorSql), Date.now());
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

  // ---- Actor hooks: no jobs of its own ----------------------------------------------

  protected nextJobAt(): number | null {
    return null;
  }

  protected async runDueJobs(): Promise<void> {}
}
