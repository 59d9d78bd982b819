import { Server } from "partyserver";
import type { Outcome } from "../contract/errors";
import { failure } from "../contract/errors";
import type { Idempotency } from "../contract/idempotency";
import type { Row, SqlValue } from "../lib/sql";
import type { Env } from "./env";

export type { Idempotency } from "../contract/idempotency";
export type { Row, SqlValue } from "../lib/sql";

/** After a failed alarm run, the first retry; each further failure doubles it, up to the cap. */
const ALARM_RETRY_BASE_MS = 30_000;
const ALARM_RETRY_CAP_MS = 3_600_000;

/** Keys are kept 24 hours (docs/billing-rules.md, Conventions). */
const IDEMPOTENCY_TTL_MS = 24 * 3_600 * 1_000;

/** The table every actor has, created with its first write (never by a read). */
const BASE_SCHEMA = [
  // WITHOUT ROWID: a key is one b-tree entry, so an upsert writes one row, not two (an actor
  // created before this keeps its rowid table; both read and write the same).
  "CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
];

/**
 * Tables most actors never need, created by their first write (each costs a new object rows
 * written for its schema: 5 of a create's rows went to these two, nearly always unused).
 */
const ON_DEMAND_TABLES = {
  _idempotency: `CREATE TABLE IF NOT EXISTS _idempotency (
     key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, outcome TEXT NOT NULL, created_ms INTEGER NOT NULL)`,
  // One row once an alarm run has failed: what an operator needs to see (alarmHealth()).
  _alarm_failure: `CREATE TABLE IF NOT EXISTS _alarm_failure (
     id INTEGER PRIMARY KEY CHECK (id = 1), failures INTEGER NOT NULL, last_error TEXT NOT NULL,
     last_failed_ms INTEGER NOT NULL, retry_at_ms INTEGER NOT NULL)`,
} as const;
type OnDemandTable = keyof typeof ON_DEMAND_TABLES;

/** What an operator sees of an actor's alarm (`GET /v1/admin/subscriptions/{id}/alarm`). */
export interface AlarmHealth {
  /** Epoch ms the alarm is set for, or null. */
  armed_at: number | null;
  /** Consecutive failed runs (0 when the last run succeeded). */
  failures: number;
  last_error: string | null;
  last_failed_at: number | null;
}

/**
 * The delay before retry number `failures` (1-based) of a failing alarm run: exponential from
 * 30 s, capped at an hour, with "full jitter" over its upper half so that many actors failing
 * on one cause (KV down) do not retry in lockstep. `random` is in [0, 1).
 * NOTE: delay = min(cap, base × 2^(failures−1)) × (0.5 + random / 2)
 */
export function alarmRetryDelayMs(failures: number, random: number): number {
  const exponential = Math.min(ALARM_RETRY_CAP_MS, ALARM_RETRY_BASE_MS * 2 ** Math.min(failures - 1, 20));
  return Math.round(exponential * (0.5 + random / 2));
}

/**
 * The base of every Billify actor: a partyserver Server over SQLite storage with
 *  - versioned migrations (an ordered list; row `schema_version` remembers how far we got),
 *    run by the first write: an actor that was never written to has no tables at all, and a
 *    read of it (a GET of a well-formed unknown id) answers from an empty database and writes
 *    nothing;
 *  - a SQL helper that rethrows the real error (partyserver's `this.sql` swallows it);
 *  - idempotency records stored beside the state they describe, written in the same
 *    transaction as the change itself;
 *  - the alarm set in the same atomic step as every transaction that changes the schedule.
 *
 * An existing actor migrates in its constructor under blockConcurrencyWhile, so plain
 * `getByName` RPC stubs (no `onStart` round trip) always see a migrated schema; there it also
 * re-checks that its alarm is set for its earliest job (it may have woken after a crash).
 */
export abstract class Actor extends Server<Env> {
  /** Each entry is one schema version: the statements that take the schema to it. */
  protected abstract readonly migrations: readonly (readonly string[])[];
  /**
   * Optional: the statements that create, in one step, exactly the schema every migration
   * leads to (a test compares the two). A new object runs these instead of the whole list.
   */
  protected readonly freshSchema: readonly string[] | null = null;
  /** Requests under an Idempotency-Key that are running now (concurrent duplicates get 409). */
  private readonly inFlight = new Set<string>();
  /** Whether this actor's tables exist (false until its first write). */
  private schemaReady: boolean;
  /** The alarm as last set by this instance (epoch ms, null for none). */
  private armedAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.schemaReady =
      ctx.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_meta'").toArray().length >
      0;
    if (this.schemaReady) {
      void ctx.blockConcurrencyWhile(async () => {
        this.migrate();
        // Woken after a crash or a deploy: make sure the alarm matches the earliest job.
        this.armedAt = await ctx.storage.getAlarm();
        this.armAlarm();
      });
    }
  }

  /** Whether anything was ever written to this actor. */
  protected get exists(): boolean {
    return this.schemaReady;
  }

  /** The on-demand tables known to exist (they are never dropped). */
  private readonly tablesSeen = new Set<OnDemandTable>();

  /** Whether an on-demand table exists (reads nothing but the catalog; creates nothing). */
  private hasTable(table: OnDemandTable): boolean {
    if (this.tablesSeen.has(table)) return true;
    if (!this.schemaReady) return false;
    const found =
      this.ctx.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", table).toArray()
        .length > 0;
    if (found) this.tablesSeen.add(table);
    return found;
  }

  /** Before a write to an on-demand table. */
  private ensureTable(table: OnDemandTable): void {
    if (this.hasTable(table)) return;
    this.query(ON_DEMAND_TABLES[table]);
    this.tablesSeen.add(table);
  }

  private migrate(): void {
    const sql = this.ctx.storage.sql;
    for (const statement of BASE_SCHEMA) sql.exec(statement);
    const current =
      sql.exec<{ value: number }>("SELECT value FROM _meta WHERE key = 'schema_version'").toArray()[0]?.value ?? 0;
    if (current >= this.migrations.length) return;
    // A new object is given the schema the migrations lead to in one step: replaying every
    // historical CREATE, ALTER and table rebuild would cost it rows written on its first request.
    const steps = current === 0 && this.freshSchema ? [this.freshSchema] : this.migrations.slice(current);
    this.ctx.storage.transactionSync(() => {
      for (const statements of steps) {
        for (const statement of statements) sql.exec(statement);
      }
      sql.exec(
        "INSERT INTO _meta (key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        this.migrations.length,
      );
    });
  }

  /**
   * Runs a statement and reads every row before returning (no cursor crosses an await).
   * Before the actor's first write there are no tables: a SELECT finds nothing, and any
   * other statement creates the schema first (inside the caller's transaction, if any).
   */
  protected query<T = Row>(statement: string, ...params: SqlValue[]): T[] {
    if (!this.schemaReady) {
      if (/^\s*SELECT\b/i.test(statement)) return [];
      this.migrate();
      this.schemaReady = true;
    }
    const cursor = this.ctx.storage.sql.exec(statement, ...params);
    const rows = cursor.toArray() as T[];
    this.usage.rowsRead += cursor.rowsRead;
    this.usage.rowsWritten += cursor.rowsWritten;
    return rows;
  }

  /** Rows read and written by this instance: what Cloudflare bills (see `npm run bench`). */
  readonly usage = { rowsRead: 0, rowsWritten: 0 };

  protected queryOne<T = Row>(statement: string, ...params: SqlValue[]): T | undefined {
    return this.query<T>(statement, ...params)[0];
  }

  /**
   * One atomic change: `fn` runs in a SQLite transaction, and the alarm is set for the
   * earliest job right after it, with no await in between, so the output gate commits the
   * rows and the alarm together. A crash can never leave a job that no alarm will run.
   */
  protected transaction<T>(fn: () => T): T {
    const result = this.ctx.storage.transactionSync(fn);
    this.armAlarm();
    return result;
  }

  // ---- The read model (KV) -------------------------------------------------------------
  // Each actor mirrors a summary of itself to KV. The mirror always writes the *current*
  // state, never a snapshot taken earlier, so a retried write can never put an older
  // summary over a newer one. A failed write is retried by the alarm.

  /**
   * Writes this actor's current summary to KV (an actor with no read model does nothing).
   * Returns a time (epoch ms) instead when the write must wait (KV takes one write per second
   * per key): the flag stays set and the alarm writes the then-current state at that time, so
   * bursts of changes coalesce.
   */
  protected abstract writeReadModel(): Promise<number | undefined>;

  /** When a deferred read-model write is due (in memory: after an eviction the 5 s retry applies). */
  private readModelDueAt: number | null = null;

  /**
   * Call inside the transaction of any change that the read model shows. By default a flag in
   * `_meta`; an actor whose state carries a version (the subscription) knows it is behind
   * without one, and overrides this, `readModelDirty` and `markReadModelClean`.
   */
  protected markReadModelDirty(): void {
    this.query(
      // Already set (two changes before one flush): no row is written.
      "INSERT INTO _meta (key, value) VALUES ('read_model_dirty', 1) ON CONFLICT(key) DO UPDATE SET value = 1 WHERE value <> 1",
    );
  }

  /** Whether the read model is behind this actor's state. */
  protected readModelDirty(): boolean {
    return !!this.queryOne<{ value: number }>("SELECT value FROM _meta WHERE key = 'read_model_dirty'")?.value;
  }

  /** After a write of the read model that nothing overtook. */
  protected markReadModelClean(): void {
    this.query("UPDATE _meta SET value = 0 WHERE key = 'read_model_dirty'");
  }

  private flushing: Promise<void> | null = null;
  private flushAgain = false;

  /**
   * Brings KV up to date now; on failure leaves the flag set for the alarm to retry.
   * Flushes never overlap: one that starts while another is writing waits and writes again,
   * so an older summary can never land after a newer one.
   */
  protected async flushReadModel(): Promise<void> {
    if (this.flushing) {
      this.flushAgain = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      do {
        this.flushAgain = false;
        if (!this.readModelDirty()) continue;
        const version = this.readModelVersion();
        try {
          const deferredUntil = await this.writeReadModel();
          if (typeof deferredUntil === "number") {
            this.readModelDueAt = deferredUntil;
            continue;
          }
          this.readModelDueAt = null;
          // Clear the flag only if nothing changed while we wrote.
          if (this.readModelVersion() === version) this.markReadModelClean();
          else this.flushAgain = true;
        } catch (error) {
          console.warn(`read model write failed for ${this.name}; the alarm will retry`, error);
        }
      } while (this.flushAgain);
    })();
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
    }
    this.armAlarm();
  }

  /** A number that grows with every change the read model shows. */
  protected abstract readModelVersion(): number;

  /** When this actor's own work (jobs) is next due, in epoch ms; null for none. */
  protected abstract nextJobAt(): number | null;

  /**
   * When the alarm should fire: the next job or a pending read-model retry, but not before
   * the back-off of a failing run.
   */
  private wantedAlarm(): number | null {
    const dirty = this.readModelDirty();
    const candidates = [this.nextJobAt(), dirty ? (this.readModelDueAt ?? this.readModelRetryAt()) : null].filter(
      (t): t is number => t !== null,
    );
    if (candidates.length === 0) return null;
    const backoff = this.hasTable("_alarm_failure")
      ? (this.queryOne<{ retry_at_ms: number }>("SELECT retry_at_ms FROM _alarm_failure")?.retry_at_ms ?? 0)
      : 0;
    return Math.max(Math.min(...candidates), backoff);
  }

  /** A read-model retry 5 s from now, or the alarm already set within those 5 s (no new write). */
  private readModelRetryAt(): number {
    const now = Date.now();
    return this.armedAt !== null && this.armedAt > now && this.armedAt <= now + 5_000 ? this.armedAt : now + 5_000;
  }

  /**
   * Sets the single alarm to `wantedAlarm()`, synchronously: called right after a transaction
   * (no await between), the output gate commits the alarm with the rows. Nothing is written
   * when the alarm is already right, so a read of an actor changes nothing.
   */
  protected armAlarm(): void {
    const wanted = this.wantedAlarm();
    if (wanted === this.armedAt) return;
    // An alarm no longer needed is left to fire (it finds nothing to do) rather than deleted:
    // deleting and setting it again on every change would cost a storage write each time.
    if (wanted === null) return;
    // Nor is one that has not fired yet moved later, even if its time has just passed: it
    // fires, finds nothing due, and sets the alarm then. Moving it later costs a write now, and
    // workerd's alarm manager still holds the earlier time: it fires it anyway and logs
    // "NOSENTRY SQLite alarm handler canceled with requestScheduledAlarm" or "alarm overdue,
    // running despite AlarmManager mismatch" (a renewal's outbox retry, then its next period).
    if (this.armedAt !== null && wanted > this.armedAt) return;
    this.armedAt = wanted;
    const done = wanted === null ? this.ctx.storage.deleteAlarm() : this.ctx.storage.setAlarm(wanted);
    done.catch((error: unknown) => console.error(`setting the alarm of ${this.name} failed`, error));
  }

  /** Kept for callers that re-arm after their own writes; arming is synchronous now. */
  protected async rearm(): Promise<void> {
    this.armAlarm();
  }

  /** Runs this actor's due jobs (the alarm then retries the read model). At-least-once: idempotent. */
  protected abstract runDueJobs(): Promise<void>;

  override async onAlarm(): Promise<void> {
    // The platform consumed the alarm that woke us.
    this.armedAt = null;
    if (!this.schemaReady) return;
    try {
      await this.runDueJobs();
    } catch (error) {
      // The platform retries a throwing alarm only a few times and then drops it, which
      // would leave a renewal unrun for good. Jobs are idempotent: record the failure for an
      // operator and try again later, backing off with jitter, for as long as it takes.
      this.recordAlarmFailure(error);
      return;
    }
    if (this.hasTable("_alarm_failure") && this.queryOne("SELECT failures FROM _alarm_failure"))
      this.transaction(() => this.query("DELETE FROM _alarm_failure"));
    await this.flushReadModel();
  }

  private recordAlarmFailure(error: unknown): void {
    this.ensureTable("_alarm_failure");
    const failures = (this.queryOne<{ failures: number }>("SELECT failures FROM _alarm_failure")?.failures ?? 0) + 1;
    const now = Date.now();
    const retryAt = now + alarmRetryDelayMs(failures, Math.random());
    const message = (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 1_000);
    console.error(
      `alarm of ${this.name} failed (${failures} in a row); retrying at ${new Date(retryAt).toISOString()}`,
      error,
    );
    this.transaction(() =>
      this.query(
        `INSERT INTO _alarm_failure (id, failures, last_error, last_failed_ms, retry_at_ms) VALUES (1, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET failures = excluded.failures, last_error = excluded.last_error,
           last_failed_ms = excluded.last_failed_ms, retry_at_ms = excluded.retry_at_ms`,
        failures,
        message,
        now,
        retryAt,
      ),
    );
  }

  /** For an operator: the alarm, and the failures of its runs since the last success. */
  async alarmHealth(): Promise<AlarmHealth> {
    const row = this.hasTable("_alarm_failure")
      ? this.queryOne<{ failures: number; last_error: string; last_failed_ms: number }>("SELECT * FROM _alarm_failure")
      : undefined;
    return {
      armed_at: this.exists ? await this.ctx.storage.getAlarm() : null,
      failures: row?.failures ?? 0,
      last_error: row?.last_error ?? null,
      last_failed_at: row?.last_failed_ms ?? null,
    };
  }

  /**
   * Runs `operation` at most once per idempotency key. A replay returns the stored outcome
   * (marked `replayed`); the same key with another request is 422; a duplicate that arrives
   * while the first is still running is 409. The operation must call `this.commit(idem, …)`
   * for its final write, which stores the outcome in the same transaction.
   */
  protected async idempotently<T>(
    idem: Idempotency | null,
    operation: () => Promise<Outcome<T>> | Outcome<T>,
  ): Promise<Outcome<T> & { replayed?: boolean }> {
    if (!idem) return this.afterWrite(await operation());
    const stored = this.hasTable("_idempotency")
      ? this.queryOne<{ fingerprint: string; outcome: string; created_ms: number }>(
          "SELECT fingerprint, outcome, created_ms FROM _idempotency WHERE key = ?",
          idem.key,
        )
      : undefined;
    if (stored && stored.created_ms > idem.nowMs - IDEMPOTENCY_TTL_MS) {
      if (stored.fingerprint !== idem.fingerprint) {
        return failure(
          422,
          "idempotency_key_reused",
          "This Idempotency-Key was already used with a different request. Use a new key for a new request.",
          undefined,
          "idempotency_error",
        ) as Outcome<T>;
      }
      return { ...(JSON.parse(stored.outcome) as Outcome<T>), replayed: true };
    }
    if (this.inFlight.has(idem.key)) {
      return failure(
        409,
        "idempotency_request_in_progress",
        "A request with this Idempotency-Key is still running; retry later.",
      );
    }
    this.inFlight.add(idem.key);
    try {
      const outcome = await operation();
      // The final answer replaces the one `commit` stored with the write: an operation may
      // do more after its write (a payment attempt), and a replay must see all of it. Should
      // the actor die in between, the committed answer stands and is still true.
      // A 404 (an id never created) leaves no record: a request must not bring into being
      // an actor that does not exist. (A replay finds the same 404.)
      if (outcome.status < 500 && outcome.status !== 404) this.remember(idem, outcome);
      return await this.afterWrite(outcome);
    } finally {
      this.inFlight.delete(idem.key);
    }
  }

  /**
   * Whether a write answers before its events are sent and its read model written. True for
   * the hot write paths (subscriptions, customers): both are eventually consistent by
   * contract (docs/billing-rules.md, Endpoints and Events) and their retry is armed in the alarm by the transaction that
   * made them due, so the caller never waits on a queue send or a KV write (most of a create's
   * time: `npm run bench` profiles it). False where the read model is what others act on at
   * once (the webhook endpoints the queue consumer reads): the answer waits for it.
   */
  protected readonly answersBeforeMirroring: boolean = false;

  /** After every write operation: send the events, mirror to KV, re-arm the alarm. */
  private async afterWrite<T>(outcome: T): Promise<T> {
    if (this.answersBeforeMirroring) this.flushInBackground();
    else await this.flushReadModel();
    return outcome;
  }

  /**
   * Starts `flushReadModel` without awaiting it. A Durable Object runs on while it has work,
   * and should it be evicted first, the alarm set with the change flushes again.
   */
  protected flushInBackground(): void {
    this.flushReadModel().catch((error: unknown) =>
      console.error(`flushing the events and read model of ${this.name} failed; the alarm will retry`, error),
    );
  }

  /**
   * The final write of an operation: `write` runs inside one transaction together with the
   * idempotency record of its outcome, so a crash keeps both or neither.
   */
  protected commit<T>(idem: Idempotency | null, write: () => Outcome<T>): Outcome<T> {
    return this.transaction(() => {
      const outcome = write();
      if (idem && outcome.status < 500) this.remember(idem, outcome);
      return outcome;
    });
  }

  private remember(idem: Idempotency, outcome: Outcome<unknown>): void {
    this.ensureTable("_idempotency");
    this.query(
      `INSERT INTO _idempotency (key, fingerprint, outcome, created_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET fingerprint = excluded.fingerprint, outcome = excluded.outcome, created_ms = excluded.created_ms`,
      idem.key,
      idem.fingerprint,
      JSON.stringify(outcome),
      idem.nowMs,
    );
    this.query("DELETE FROM _idempotency WHERE created_ms <= ?", idem.nowMs - IDEMPOTENCY_TTL_MS);
  }
}
