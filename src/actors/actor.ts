import { Server } from "partyserver";
import { parseAlarmRunsInFlight } from "../lib/env";
import type { Row, SqlValue } from "../lib/sql";
import type { AlarmHealth } from "./capabilities/alarm-failures";
import { AlarmFailures } from "./capabilities/alarm-failures";
import { backgroundWork, yieldToRequests } from "./capabilities/background-work";
import type { ActorStorage, ScheduledJobs } from "./capabilities/host";
import type { ReadModel } from "./capabilities/read-model";
import type { Env } from "./env";

/** The table every actor has, created with its first write (never by a read). */
const BASE_SCHEMA = [
  // WITHOUT ROWID: a key is one b-tree entry, so an upsert writes one row, not two (an actor
  // created before this keeps its rowid table; both read and write the same).
  "CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
];

/**
 * The base of every Billify actor: a partyserver Server over SQLite storage with
 *  - versioned migrations (an ordered list; row `schema_version` remembers how far we got),
 *    run by the first write: an actor that was never written to has no tables at all, and a
 *    read of it (a GET of a well-formed unknown id) answers from an empty database and writes
 *    nothing;
 *  - a SQL helper that rethrows the real error (partyserver's `this.sql` swallows it);
 *  - the one alarm, set in the same atomic step as every transaction that changes the
 *    schedule, and a failing run retried with back-off (capabilities/alarm-failures.ts).
 *
 * The rest is composed by the actor that needs it (src/actors/capabilities/), each behind a
 * narrow view of the actor (`storage`): `jobs` (its own work, run by the alarm), `readModel`
 * (a summary in KV, retried by the alarm) and `IdempotentRequests` (Idempotency-Key records).
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
  /** Optional: this actor's own work, run by its alarm. */
  protected readonly jobs: ScheduledJobs | null = null;
  /** Optional: this actor's summary in KV, written after each change and retried by the alarm. */
  protected readonly readModel: ReadModel | null = null;
  /**
   * Whether a write answers before its changes are published (`publishChanges`). True for
   * the hot write paths (subscriptions, customers): events and listings are eventually
   * consistent by contract (docs/billing-rules.md, Endpoints and Events) and their retry is armed in the alarm by the
   * transaction that made them due, so the caller never waits on a queue send or a KV write
   * (most of a create's time: `npm run bench` profiles it). False where the read model is
   * what others act on at once (the webhook endpoints the queue consumer reads).
   */
  protected readonly answersBeforePublishing: boolean = false;

  /** Whether this actor's tables exist (false until its first write). */
  private schemaReady: boolean;
  /** The alarm as last set by this instance (epoch ms, null for none). */
  private armedAt: number | null = null;
  /**
   * Whether each table made on demand exists, as last seen or made by this instance (they are
   * never dropped; only this instance creates them). A table made inside a transaction that
   * then throws is forgotten with the rollback.
   */
  private readonly tablesKnown = new Map<string, boolean>();
  /** The tables made by the transaction now running (forgotten if it rolls back). */
  private tablesMadeInTransaction: string[] | null = null;

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

  /** The narrow view of this actor that its capabilities are given. */
  protected readonly storage: ActorStorage = {
    actorName: () => this.name,
    query: (statement, ...params) => this.query(statement, ...params),
    hasTable: (name) => this.hasTable(name),
    ensureTable: (name, ...create) => {
      if (this.hasTable(name)) return;
      for (const statement of create) this.query(statement);
      this.tablesKnown.set(name, true);
      this.tablesMadeInTransaction?.push(name);
    },
    transaction: (fn) => this.transaction(fn),
  };

  private readonly alarmFailures = new AlarmFailures(this.storage);

  /** Whether a table made on demand exists (reads nothing but the catalog; creates nothing). */
  private hasTable(name: string): boolean {
    if (!this.schemaReady) return false;
    const known = this.tablesKnown.get(name);
    if (known !== undefined) return known;
    const found =
      this.ctx.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", name).toArray()
        .length > 0;
    this.tablesKnown.set(name, found);
    return found;
  }

  private migrate(): void {
    // The schema's rows count too: a new object's tables are most of a create's rows written.
    const sql = { exec: (statement: string, ...params: SqlValue[]) => this.run(statement, params) };
    for (const statement of BASE_SCHEMA) sql.exec(statement);
    const current = (sql.exec("SELECT value FROM _meta WHERE key = 'schema_version'")[0]?.value as number) ?? 0;
    if (current >= this.migrations.length) return;
    // A new object is given the schema the migrations lead to in one step: replaying every
    // historical CREATE, ALTER and table rebuild would cost it rows written on its first request.
    const steps = current === 0 && this.freshSchema ? [this.freshSchema] : this.migrations.slice(current);
    // Migrations may make tables that were absent.
    this.tablesKnown.clear();
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
    return this.run(statement, params) as T[];
  }

  /** Runs one statement, reads every row, and counts what it read and wrote (`usage`). */
  private run(statement: string, params: SqlValue[]): Row[] {
    const cursor = this.ctx.storage.sql.exec(statement, ...params);
    const rows = cursor.toArray() as Row[];
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
    const outer = this.tablesMadeInTransaction === null;
    if (outer) this.tablesMadeInTransaction = [];
    let result: T;
    try {
      result = this.ctx.storage.transactionSync(fn);
    } catch (error) {
      // Rolled back: the tables it made are gone again.
      for (const name of this.tablesMadeInTransaction ?? []) this.tablesKnown.delete(name);
      throw error;
    } finally {
      if (outer) this.tablesMadeInTransaction = null;
    }
    this.armAlarm();
    return result;
  }

  // ---- after a write: publish its changes ----------------------------------------------

  /**
   * Publishes what the last writes changed: here the read model (then the alarm is set for
   * what is left); an actor with an outbox sends its events first, and one with live pages
   * tells them after. Called after every operation, job run and alarm; on failure the alarm
   * retries.
   */
  protected async publishChanges(): Promise<void> {
    await this.readModel?.catchUp();
    this.armAlarm();
  }

  /**
   * Starts `publishChanges` without awaiting it. A Durable Object runs on while it has work,
   * and should it be evicted first, the alarm set with the change publishes again.
   */
  protected publishInBackground(): void {
    this.publishChanges().catch((error: unknown) =>
      console.error(`publishing the changes of ${this.name} failed; the alarm will retry`, error),
    );
  }

  /** After every write operation (`IdempotentRequests`' `afterWrite`). */
  protected async afterWrite(): Promise<void> {
    if (this.answersBeforePublishing) this.publishInBackground();
    else await this.publishChanges();
  }

  // ---- the alarm -------------------------------------------------------------------------

  /**
   * When the alarm should fire: the next job or a pending read-model retry, but not before
   * the back-off of a failing run.
   */
  private wantedAlarm(): number | null {
    const candidates = [this.jobs?.nextJobAt() ?? null, this.readModel?.retryAt(this.armedAt, Date.now()) ?? null];
    const due = candidates.filter((t): t is number => t !== null);
    if (due.length === 0) return null;
    return Math.max(Math.min(...due), this.alarmFailures.retryAt());
  }

  /**
   * Sets the single alarm to `wantedAlarm()`, synchronously: called right after a transaction
   * (no await between), the output gate commits the alarm with the rows. Nothing is written
   * when the alarm is already right, so a read of an actor changes nothing.
   */
  protected armAlarm(): void {
    const wanted = this.wantedAlarm();
    // An alarm no longer needed is left to fire (it finds nothing to do) rather than deleted:
    // deleting and setting it again on every change would cost a storage write each time.
    if (wanted === null || wanted === this.armedAt) return;
    // Nor is one that has not fired yet moved later, even if its time has just passed: it
    // fires, finds nothing due, and sets the alarm then. Moving it later costs a write now, and
    // workerd's alarm manager still holds the earlier time: it fires it anyway and logs
    // "NOSENTRY SQLite alarm handler canceled with requestScheduledAlarm" or "alarm overdue,
    // running despite AlarmManager mismatch" (a renewal's outbox retry, then its next period).
    if (this.armedAt !== null && wanted > this.armedAt) return;
    this.armedAt = wanted;
    this.ctx.storage
      .setAlarm(wanted)
      .catch((error: unknown) => console.error(`setting the alarm of ${this.name} failed`, error));
  }

  /**
   * partyserver's entry for an alarm (its start, then `onAlarm`), taken only after a permit of
   * the isolate's gate: background work waits, so that requests (which never wait for one) are
   * served while many alarms are due at once. The permit comes before partyserver's start, whose
   * storage calls for 1,000 objects waking at once kept requests out by themselves.
   */
  override async alarm(): Promise<void> {
    const limit = parseAlarmRunsInFlight(this.env.BILLIFY_ALARM_RUNS_IN_FLIGHT);
    if (limit === null) return super.alarm();
    backgroundWork.setLimit(limit);
    await backgroundWork.run(async () => {
      await yieldToRequests();
      await super.alarm();
    });
  }

  override async onAlarm(): Promise<void> {
    // The platform consumed the alarm that woke us.
    this.armedAt = null;
    if (!this.schemaReady) return;
    try {
      await this.jobs?.runDueJobs();
    } catch (error) {
      // Jobs are idempotent: record the failure for an operator and try again later.
      this.alarmFailures.record(error, Date.now(), Math.random());
      return;
    }
    this.alarmFailures.clear();
    await this.publishChanges();
  }

  /** For an operator: the alarm, and the failures of its runs since the last success. */
  async alarmHealth(): Promise<AlarmHealth> {
    return this.alarmFailures.health(this.exists ? await this.ctx.storage.getAlarm() : null);
  }
}
