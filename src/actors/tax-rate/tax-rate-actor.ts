import { MAX_METADATA_KEYS, mergeMetadata, tooManyMetadataKeys } from "../../contract/common";
import type { Outcome } from "../../contract/errors";
import { failure, notFound, ok } from "../../contract/errors";
import type { Idempotency } from "../../contract/idempotency";
import type { TaxRate, TaxRateCreate, TaxRateUpdate } from "../../contract/tax-rate";
import { instantFromMillis, toIso } from "../../domain/time";
import { taxRateListKey } from "../../lib/discount-catalog";
import { Actor } from "../actor";
import { IdempotentRequests } from "../capabilities/idempotent-requests";
import { ReadModel } from "../capabilities/read-model";

interface TaxRateRow {
  id: string;
  display_name: string;
  percentage: number;
  inclusive: number;
  country: string | null;
  jurisdiction: string | null;
  active: number;
  metadata: string;
  created: number;
  created_ms: number;
  version: number;
}

/**
 * One actor per tax rate (rule 16), like a plan: the truth for the rate, listed from KV. Its
 * terms never change, so a subscription keeps a copy of them when it is given the rate and
 * reads it no more.
 */
export class TaxRateActor extends Actor {
  protected readonly migrations = [
    [
      `CREATE TABLE tax_rate (
         id TEXT PRIMARY KEY, display_name TEXT NOT NULL, percentage REAL NOT NULL, inclusive INTEGER NOT NULL,
         country TEXT, jurisdiction TEXT, active INTEGER NOT NULL, metadata TEXT NOT NULL,
         created INTEGER NOT NULL, created_ms INTEGER NOT NULL, version INTEGER NOT NULL DEFAULT 1)`,
    ],
  ];

  private readonly requests = new IdempotentRequests(this.storage, () => this.afterWrite());
  /** The rate in KV (lib/discount-catalog.ts), written again by each PATCH. */
  protected override readonly readModel = new ReadModel(this.storage, {
    write: () => this.writeListing(),
    changeCount: () => this.changeCount(),
  });

  async create(id: string, input: TaxRateCreate, nowMs: number, idem: Idempotency | null): Promise<Outcome<TaxRate>> {
    return this.requests.run(idem, () =>
      this.requests.commit(idem, () => {
        if (this.load()) return failure<TaxRate>(409, "resource_already_exists", `Tax rate '${id}' already exists`);
        this.query(
          `INSERT INTO tax_rate (id, display_name, percentage, inclusive, country, jurisdiction, active, metadata, created, created_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          id,
          input.display_name,
          input.percentage,
          input.inclusive ? 1 : 0,
          input.country ?? null,
          input.jurisdiction ?? null,
          input.active ? 1 : 0,
          JSON.stringify(input.metadata),
          instantFromMillis(nowMs),
          nowMs,
        );
        this.readModel.markChanged();
        return ok(this.load()!, 201);
      }),
    );
  }

  async get(id: string): Promise<Outcome<TaxRate>> {
    const rate = this.exists ? this.load() : null;
    return rate && rate.id === id ? ok(rate) : notFound("tax_rate", id);
  }

  async update(id: string, patch: TaxRateUpdate, idem: Idempotency | null): Promise<Outcome<TaxRate>> {
    return this.requests.run(idem, () =>
      this.requests.commit(idem, () => {
        const rate = this.exists ? this.load() : null;
        if (!rate || rate.id !== id) return notFound<TaxRate>("tax_rate", id);
        const metadata = mergeMetadata(rate.metadata, patch.metadata ?? {});
        if (Object.keys(metadata).length > MAX_METADATA_KEYS) return tooManyMetadataKeys<TaxRate>();
        this.query(
          "UPDATE tax_rate SET display_name = ?, active = ?, metadata = ?, version = version + 1",
          patch.display_name ?? rate.display_name,
          (patch.active ?? rate.active) ? 1 : 0,
          JSON.stringify(metadata),
        );
        this.readModel.markChanged();
        return ok(this.load()!);
      }),
    );
  }

  private async writeListing(): Promise<undefined> {
    const row = this.queryOne<TaxRateRow>("SELECT * FROM tax_rate");
    if (!row) return;
    await this.env.BILLIFY_KV.put(taxRateListKey(row.id, row.created_ms), JSON.stringify(this.load()));
  }

  private changeCount(): number {
    return this.queryOne<{ version: number }>("SELECT version FROM tax_rate")?.version ?? 0;
  }

  private load(): TaxRate | null {
    const row = this.queryOne<TaxRateRow>("SELECT * FROM tax_rate");
    if (!row) return null;
    return {
      id: row.id,
      object: "tax_rate",
      display_name: row.display_name,
      percentage: row.percentage,
      inclusive: row.inclusive === 1,
      country: row.country,
      jurisdiction: row.jurisdiction,
      active: row.active === 1,
      metadata: JSON.parse(row.metadata) as Record<string, string>,
      created: toIso(row.created),
    };
  }
}
