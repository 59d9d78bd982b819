import type { UsageAggregate } from "../../domain/usage/aggregate";
import type { Decimal } from "../../domain/usage/decimal";
import { formatDecimal, parseDecimal } from "../../domain/usage/decimal";
import type { ChargeSpec } from "../../domain/usage/lines";
import type { Query } from "../../lib/sql";

/**
 * A usage window: [start, end) priced by one plan's charges, a period or its part before or
 * after a plan change. `end` is null while open (it runs to the period end); `billed` holds, per
 * charge, what has been billed for it (null until the window is closed and billed).
 */
export const USAGE_TABLES = [
  `CREATE TABLE usage_window (
     start INTEGER PRIMARY KEY, "end" INTEGER, plan_id TEXT NOT NULL, charges TEXT NOT NULL, billed TEXT) WITHOUT ROWID`,
  `CREATE TABLE usage_aggregate (
     window_start INTEGER NOT NULL, event_name TEXT NOT NULL, sum TEXT NOT NULL, count INTEGER NOT NULL,
     max TEXT, last_value TEXT, last_ts INTEGER, last_seq INTEGER, distinct_count INTEGER NOT NULL,
     PRIMARY KEY (window_start, event_name)) WITHOUT ROWID`,
  `CREATE TABLE usage_distinct (
     window_start INTEGER NOT NULL, event_name TEXT NOT NULL, value TEXT NOT NULL,
     PRIMARY KEY (window_start, event_name, value)) WITHOUT ROWID`,
];

export interface UsageWindow {
  start: number;
  end: number | null;
  planId: string;
  charges: ChargeSpec[];
  billed: number[] | null;
}

interface WindowRow {
  start: number;
  end: number | null;
  plan_id: string;
  charges: string;
  billed: string | null;
}

interface AggregateRow {
  event_name: string;
  sum: string;
  count: number;
  max: string | null;
  last_value: string | null;
  last_ts: number | null;
  last_seq: number | null;
  distinct_count: number;
}

const dec = (text: string): Decimal => parseDecimal(text) ?? 0n;

function windowOf(row: WindowRow): UsageWindow {
  return {
    start: row.start,
    end: row.end,
    planId: row.plan_id,
    charges: JSON.parse(row.charges) as ChargeSpec[],
    billed: row.billed === null ? null : (JSON.parse(row.billed) as number[]),
  };
}

/** SQL of the usage tables; every write is synchronous (inside the caller's transaction). */
export class UsageStore {
  constructor(
    /** The actor's SQL (the subscription row). */
    private readonly query: Query,
    /** Statements on the usage tables: made on demand by the first window (schema.ts). */
    private readonly tables: Query = query,
  ) {}

  openWindow(): UsageWindow | null {
    // NOTE: at most one window is open and it is the newest (a window opens only when none is,
    // at the time of the decision, which never goes back; or replaces the open one at its own
    // start). So the newest row answers: one row read, where `WHERE "end" IS NULL` read every
    // window of the history — on every renewal, which closes the window and looks again.
    const row = this.tables<WindowRow>("SELECT * FROM usage_window ORDER BY start DESC LIMIT 1")[0];
    return row && row.end === null ? windowOf(row) : null;
  }

  /** The window holding `at`: the latest that starts at or before it. */
  windowAt(at: number): UsageWindow | null {
    const row = this.tables<WindowRow>(
      "SELECT * FROM usage_window WHERE start <= ? ORDER BY start DESC LIMIT 1",
      at,
    )[0];
    return row ? windowOf(row) : null;
  }

  window(start: number): UsageWindow | null {
    const row = this.tables<WindowRow>("SELECT * FROM usage_window WHERE start = ?", start)[0];
    return row ? windowOf(row) : null;
  }

  insertWindow(start: number, planId: string, charges: readonly ChargeSpec[]): void {
    this.tables(
      `INSERT INTO usage_window (start, "end", plan_id, charges, billed) VALUES (?, NULL, ?, ?, NULL)
       ON CONFLICT (start) DO UPDATE SET "end" = NULL, plan_id = excluded.plan_id, charges = excluded.charges, billed = NULL`,
      start,
      planId,
      JSON.stringify(charges),
    );
  }

  closeWindow(start: number, end: number, billed: readonly number[]): void {
    this.tables(`UPDATE usage_window SET "end" = ?, billed = ? WHERE start = ?`, end, JSON.stringify(billed), start);
  }

  setBilled(start: number, billed: readonly number[]): void {
    this.tables("UPDATE usage_window SET billed = ? WHERE start = ?", JSON.stringify(billed), start);
  }

  aggregates(windowStart: number): Map<string, UsageAggregate> {
    const rows = this.tables<AggregateRow>("SELECT * FROM usage_aggregate WHERE window_start = ?", windowStart);
    return new Map(
      rows.map((r) => [
        r.event_name,
        {
          sum: dec(r.sum),
          count: r.count,
          max: r.max === null ? null : dec(r.max),
          last:
            r.last_value === null
              ? null
              : { value: dec(r.last_value), timestamp: r.last_ts ?? 0, seq: r.last_seq ?? 0 },
          distinct: r.distinct_count,
        },
      ]),
    );
  }

  saveAggregate(windowStart: number, eventName: string, a: UsageAggregate): void {
    this.tables(
      `INSERT INTO usage_aggregate (window_start, event_name, sum, count, max, last_value, last_ts, last_seq, distinct_count)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (window_start, event_name) DO UPDATE SET sum = excluded.sum, count = excluded.count, max = excluded.max,
         last_value = excluded.last_value, last_ts = excluded.last_ts, last_seq = excluded.last_seq,
         distinct_count = excluded.distinct_count`,
      windowStart,
      eventName,
      formatDecimal(a.sum),
      a.count,
      a.max === null ? null : formatDecimal(a.max),
      a.last === null ? null : formatDecimal(a.last.value),
      a.last?.timestamp ?? null,
      a.last?.seq ?? null,
      a.distinct,
    );
  }

  /** Records a distinct value of a unique_count meter; true when it was not seen in the window before. */
  addDistinct(windowStart: number, eventName: string, value: string): boolean {
    return (
      this.tables(
        "INSERT INTO usage_distinct (window_start, event_name, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1 AS added",
        windowStart,
        eventName,
        value,
      ).length > 0
    );
  }

  /** The last position of the customer's event log this subscription has counted. */
  countedThrough(): number {
    return this.query<{ usage_seq: number }>("SELECT usage_seq FROM subscription")[0]?.usage_seq ?? 0;
  }

  setCountedThrough(seq: number): void {
    this.query("UPDATE subscription SET usage_seq = ? WHERE usage_seq < ?", seq, seq);
  }
}
