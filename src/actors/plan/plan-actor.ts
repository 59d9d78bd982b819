import { MAX_METADATA_KEYS, mergeMetadata, tooManyMetadataKeys } from "../../contract/common";
import type { Outcome } from "../../contract/errors";
import { failure, notFound, ok } from "../../contract/errors";
import type { Idempotency } from "../../contract/idempotency";
import type { Plan, PlanCreate, PlanUpdate } from "../../contract/plan";
import { toIso } from "../../domain/time";
import { planListKey } from "../../lib/plan-catalog";
import { Actor } from "../actor";
import { IdempotentRequests } from "../capabilities/idempotent-requests";
import { ReadModel } from "../capabilities/read-model";

interface PlanRow {
  id: string;
  name: string;
  currency: string;
  amount: number;
  interval: string;
  interval_count: number;
  trial_days: number;
  active: number;
  metadata: string;
  created: number;
  charges: string;
}

/**
 * One actor per plan (named by the plan's routing key). It is the truth for the plan; KV
 * holds a copy for listing. Subscriptions read a plan once, when they are given it, and keep
 * its price terms, which never change; so no plan read sits on a renewal.
 */
export class PlanActor extends Actor {
  protected readonly migrations = [
    [
      `CREATE TABLE plan (
         id TEXT PRIMARY KEY, name TEXT NOT NULL, currency TEXT NOT NULL, amount INTEGER NOT NULL,
         interval TEXT NOT NULL, interval_count INTEGER NOT NULL, trial_days INTEGER NOT NULL,
         active INTEGER NOT NULL, metadata TEXT NOT NULL, created INTEGER NOT NULL)`,
    ],
    // v2: creation in milliseconds, so the catalog lists plans made in one second in order.
    ["ALTER TABLE plan ADD COLUMN created_ms INTEGER", "UPDATE plan SET created_ms = created * 1000"],
    // v3: usage-based charges (docs/billing-rules.md rule 14), a JSON array; price terms, so never updated.
    ["ALTER TABLE plan ADD COLUMN charges TEXT NOT NULL DEFAULT '[]'"],
  ];

  private readonly requests = new IdempotentRequests(this.storage, () => this.afterWrite());
  /** The plan's catalog entry in KV; it changes only by a PATCH, which writes it again. */
  protected override readonly readModel = new ReadModel(this.storage, { write: () => this.writeCatalogEntry() });

  async create(id: string, input: PlanCreate, nowMs: number, idem: Idempotency | null): Promise<Outcome<Plan>> {
    return this.requests.run(idem, async () => {
      const outcome = this.requests.commit(idem, () => {
        if (this.load())
          return failure<Plan>(409, "resource_already_exists", `A plan with id '${id}' already exists`, "id");
        this.query(
          `INSERT INTO plan (id, name, currency, amount, interval, interval_count, trial_days, active, metadata, created, created_ms, charges)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          id,
          input.name,
          input.currency,
          input.amount,
          input.interval,
          input.interval_count,
          input.trial_days,
          input.active ? 1 : 0,
          JSON.stringify(input.metadata),
          Math.floor(nowMs / 1000),
          nowMs,
          JSON.stringify(input.charges),
        );
        this.readModel.markChanged();
        return ok(this.load()!, 201);
      });
      await this.publishChanges();
      return outcome;
    });
  }

  async get(id: string): Promise<Outcome<Plan>> {
    const plan = this.load();
    return plan && plan.id === id ? ok(plan) : notFound("plan", id);
  }

  async update(id: string, patch: PlanUpdate, idem: Idempotency | null): Promise<Outcome<Plan>> {
    return this.requests.run(idem, async () => {
      const outcome = this.requests.commit(idem, () => {
        const plan = this.load();
        if (!plan || plan.id !== id) return notFound<Plan>("plan", id);
        const metadata = mergeMetadata(plan.metadata, patch.metadata ?? {});
        if (Object.keys(metadata).length > MAX_METADATA_KEYS) return tooManyMetadataKeys<Plan>();
        this.query(
          "UPDATE plan SET name = ?, active = ?, metadata = ?",
          patch.name ?? plan.name,
          (patch.active ?? plan.active) ? 1 : 0,
          JSON.stringify(metadata),
        );
        this.readModel.markChanged();
        return ok(this.load()!);
      });
      await this.publishChanges();
      return outcome;
    });
  }

  private async writeCatalogEntry(): Promise<undefined> {
    const plan = this.load();
    const createdMs = this.queryOne<{ created_ms: number }>("SELECT created_ms FROM plan")?.created_ms;
    if (!plan || createdMs === undefined) return;
    await this.env.BILLIFY_KV.put(planListKey(plan.id, createdMs), JSON.stringify(plan));
  }

  private load(): Plan | null {
    const row = this.queryOne<PlanRow>("SELECT * FROM plan");
    if (!row) return null;
    return {
      id: row.id,
      object: "plan",
      name: row.name,
      currency: row.currency,
      amount: row.amount,
      interval: row.interval as Plan["interval"],
      interval_count: row.interval_count,
      trial_days: row.trial_days,
      charges: JSON.parse(row.charges) as Plan["charges"],
      active: row.active === 1,
      metadata: JSON.parse(row.metadata) as Record<string, string>,
      created: toIso(row.created),
    };
  }
}
