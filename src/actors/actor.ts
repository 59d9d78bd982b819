import { Server } from "partyserver";
import type { Env } from "../env";
import type { Outcome } from "../errors";
import { failure } from "../errors";

export type SqlValue = string | number | null;
export type Row = Record<string, SqlValue>;

/** The idempotency context the Worker passes with a POST (API.md §1). */
export interface Idempotency {
  key: string;
  /** SHA-256 of method, path and canonical body: a different request under one key is 422. */
  fingerprint: string;
  /** Milliseconds since the epoch, by the platform clock. */
  nowMs: number;
}

/** After a failed alarm run, the next try (jobs are idempotent, so trying again is safe). */
const ALARM_RETRY_MS = 60_000;

/** Keys are kept 24 hours (API.md §1). */
const IDEMPOTENCY_TTL_MS = 24 * 3_600 * 1_000;

/**
 * The base of every Billify actor: a partyserver Server over SQLite storage with
 *  - versioned migrations (an ordered list; row `schema_version` remembers how far we got),
 *  - a SQL helper that rethrows the real error (partyserver's `this.sql` swallows it),
 *  - idempotency records stored beside the state they describe, written in the same
 *    transaction as the change itself.
 *
 * Migrations run in the constructor under blockConcurrencyWhile, so plain `getByName` RPC
 * stubs (no `onStart` round trip) always see a migrated schema.
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

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => this.migrate());
  }

  private migrate(): void {
    this.ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    );
    this.ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS _idempotency (
         key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, outcome TEXT NOT NULL, created_ms INTEGER NOT NULL)`,
    );
    const current = this.ctx.storage.sql
      .exec<{ value: number }>("SELECT value FROM _meta WHERE key = 'schema_version'")
      .toArray()[0]?.value ?? 0;
    if (current >= this.migrations.length) return;
    // A new object is given the schema the migrations lead to in one step: replaying every
    // historical CREATE, ALTER and table rebuild would cost it rows written on its first request.
    const steps = current === 0 && this.freshSchema ? [this.freshSchema] : this.migrations.slice(current);
    this.ctx.storage.transactionSync(() => {
      for (const statements of steps) {
        for (const statement of statements) this.ctx.storage.sql.exec(statement);
      }
      this.ctx.storage.sql.exec(
        "INSERT INTO _meta (key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        this.migrations.length,
      );
    });
  }

  /** Runs a statement and reads every row before returning (no cursor crosses an await). */
  protected query<T = Row>(statement: string, ...params: SqlValue[]): T[] {
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

  protected transaction<T>(fn: () => T): T {
    return this.ctx.storage.transactionSync(fn);
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
  protected abstract writeReadModel(): Promise<number | void>;

  /** When a deferred read-model write is due (in memory: after an eviction the 5 s retry applies). */
  private readModelDueAt: number | null = null;

  /** Call inside the transaction of any change that the read model shows. */
  protected markReadModelDirty(): void {
    this.query(
      // Already set (two changes before one flush): no row is written.
      "INSERT INTO _meta (key, value) VALUES ('read_model_dirty', 1) ON CONFLICT(key) DO UPDATE SET value = 1 WHERE value <> 1",
    );
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
        const dirty = this.queryOne<{ value: number }>("SELECT value FROM _meta WHERE key = 'read_model_dirty'");
        if (!dirty?.value) continue;
        const version = this.readModelVersion();
        try {
          const deferredUntil = await this.writeReadModel();
          if (typeof deferredUntil === "number") {
            this.readModelDueAt = deferredUntil;
            continue;
          }
          this.readModelDueAt = null;
          // Clear the flag only if nothing changed while we wrote.
          if (this.readModelVersion() === version) this.query("UPDATE _meta SET value = 0 WHERE key = 'read_model_dirty'");
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
    await this.rearm();
  }

  /** A number that grows with every change the read model shows. */
  protected abstract readModelVersion(): number;

  /** When this actor's own work (jobs) is next due, in epoch ms; null for none. */
  protected abstract nextJobAt(): number | null;

  /** Sets the single alarm to the earliest of: the next job, a pending read-model retry. */
  protected async rearm(): Promise<void> {
    const dirty = this.queryOne<{ value: number }>("SELECT value FROM _meta WHERE key = 'read_model_dirty'")?.value;
    const candidates = [this.nextJobAt(), dirty ? (this.readModelDueAt ?? Date.now() + 5_000) : null].filter((t): t is number => t !== null);
    if (candidates.length === 0) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    await this.ctx.storage.setAlarm(Math.min(...candidates));
  }

  /** Runs this actor's due jobs (the alarm then retries the read model). At-least-once: idempotent. */
  protected abstract runDueJobs(): Promise<void>;

  override async onAlarm(): Promise<void> {
    try {
      await this.runDueJobs();
    } catch (error) {
      // The platform retries a throwing alarm only a few times and then drops it, which
      // would leave a renewal unrun for good. Jobs are idempotent: log, and try again in a
      // minute for as long as it takes.
      console.error(`alarm of ${this.name} failed; retrying in ${ALARM_RETRY_MS / 1000} s`, error);
      await this.ctx.storage.setAlarm(Date.now() + ALARM_RETRY_MS);
      return;
    }
    await this.flushReadModel();
  }

  /**
   * Runs `operation` at most once per idempotency key. A replay returns the stored outcome
   * (marked `replayed`); the same key with another request is 422; a duplicate that arrives
   * while the first is still running is 409. The operation must call `this.commit(idem, …)`
   * for its final write, which stores the outcome in the same transaction.
   */
  protected async once<T>(
    idem: Idempotency | null,
    operation: () => Promise<Outcome<T>> | Outcome<T>,
  ): Promise<Outcome<T> & { replayed?: boolean }> {
    if (!idem) return this.afterWrite(await operation());
    const stored = this.queryOne<{ fingerprint: string; outcome: string; created_ms: number }>(
      "SELECT fingerprint, outcome, created_ms FROM _idempotency WHERE key = ?",
      idem.key,
    );
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
      return failure(409, "idempotency_request_in_progress", "A request with this Idempotency-Key is still running; retry later.");
    }
    this.inFlight.add(idem.key);
    try {
      const outcome = await operation();
      // The final answer replaces the one `commit` stored with the write: an operation may
      // do more after its write (a payment attempt), and a replay must see all of it. Should
      // the actor die in between, the committed answer stands and is still true.
      if (outcome.status < 500) this.remember(idem, outcome);
      return await this.afterWrite(outcome);
    } finally {
      this.inFlight.delete(idem.key);
    }
  }

  /** After every write operation: mirror to KV and re-arm the alarm. */
  private async afterWrite<T>(outcome: T): Promise<T> {
    await this.flushReadModel();
    return outcome;
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
