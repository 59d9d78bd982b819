import type { Outcome } from "../../contract/errors";
import { failure, notFound, ok } from "../../contract/errors";
import type { Idempotency } from "../../contract/idempotency";
import type { Meter, MeterCreate, MeterUpdate } from "../../contract/meter";
import { toIso } from "../../domain/time";
import { Actor } from "../actor";
import { IdempotentRequests } from "../capabilities/idempotent-requests";
import { ReadModel } from "../capabilities/read-model";

/** The meter listing index in KV: newest first, like the plan catalog. */
export const METER_LIST_PREFIX = "meters/";

export function meterListKey(meterId: string, createdMs: number): string {
  const inverted = String(99_999_999_999_999 - createdMs).padStart(14, "0");
  return `${METER_LIST_PREFIX}${inverted}/${meterId}`;
}

interface MeterRow {
  id: string;
  event_name: string;
  display_name: string;
  aggregation: Meter["aggregation"];
  value_key: string;
  status: Meter["status"];
  created: number;
  created_ms: number;
}

/**
 * One actor per meter, named by a hash of its event_name (ids.ts `meterRoutingKey`): two creates
 * of one event_name meet here, which is what keeps event_name unique; and ingest reaches a
 * meter from an event's name alone. Only display_name and status ever change.
 */
export class MeterActor extends Actor {
  protected readonly migrations = [
    [
      `CREATE TABLE meter (
         id TEXT PRIMARY KEY, event_name TEXT NOT NULL, display_name TEXT NOT NULL, aggregation TEXT NOT NULL,
         value_key TEXT NOT NULL, status TEXT NOT NULL, created INTEGER NOT NULL, created_ms INTEGER NOT NULL)`,
    ],
  ];

  private readonly requests = new IdempotentRequests(this.storage, () => this.afterWrite());
  /** The meter's listing entry in KV; it changes only by a PATCH, which writes it again. */
  protected override readonly readModel = new ReadModel(this.storage, { write: () => this.writeListingEntry() });

  async create(id: string, input: MeterCreate, nowMs: number, idem: Idempotency | null): Promise<Outcome<Meter>> {
    return this.requests.run(idem, async () => {
      const outcome = this.requests.commit(idem, () => {
        const existing = this.load();
        if (existing)
          return failure<Meter>(
            409,
            "resource_already_exists",
            `The meter ${existing.id} already has the event_name '${input.event_name}'`,
            "event_name",
          );
        this.query(
          `INSERT INTO meter (id, event_name, display_name, aggregation, value_key, status, created, created_ms)
           VALUES (?, ?, ?, ?, ?, 'active', ?, ?)`,
          id,
          input.event_name,
          input.display_name,
          input.aggregation,
          input.value_key,
          Math.floor(nowMs / 1000),
          nowMs,
        );
        this.readModel.markChanged();
        return ok(this.load()!, 201);
      });
      await this.publishChanges();
      return outcome;
    });
  }

  /** By id (GET /v1/meters/{id}, a plan's charge). */
  async get(id: string): Promise<Outcome<Meter>> {
    const meter = this.load();
    return meter && meter.id === id ? ok(meter) : notFound("meter", id);
  }

  /** By event_name (ingest): the actor was addressed by its hash. */
  async byEventName(eventName: string): Promise<Meter | null> {
    const meter = this.load();
    return meter && meter.event_name === eventName ? meter : null;
  }

  async update(id: string, patch: MeterUpdate, idem: Idempotency | null): Promise<Outcome<Meter>> {
    return this.requests.run(idem, async () => {
      const outcome = this.requests.commit(idem, () => {
        const meter = this.load();
        if (!meter || meter.id !== id) return notFound<Meter>("meter", id);
        this.query(
          "UPDATE meter SET display_name = ?, status = ?",
          patch.display_name ?? meter.display_name,
          patch.status ?? meter.status,
        );
        this.readModel.markChanged();
        return ok(this.load()!);
      });
      await this.publishChanges();
      return outcome;
    });
  }

  private async writeListingEntry(): Promise<undefined> {
    const row = this.queryOne<MeterRow>("SELECT * FROM meter");
    if (!row) return;
    await this.env.BILLIFY_KV.put(meterListKey(row.id, row.created_ms), JSON.stringify(view(row)));
  }

  private load(): Meter | null {
    const row = this.queryOne<MeterRow>("SELECT * FROM meter");
    return row ? view(row) : null;
  }
}

function view(row: MeterRow): Meter {
  return {
    id: row.id,
    object: "meter",
    event_name: row.event_name,
    display_name: row.display_name,
    aggregation: row.aggregation,
    value_key: row.value_key,
    status: row.status,
    created: toIso(row.created),
  };
}
