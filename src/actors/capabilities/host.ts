import type { Row, SqlValue } from "../../lib/sql";

/**
 * What a capability may use of its actor (src/actors/actor.ts): its SQLite, tables made on
 * demand, and the transaction that also sets the alarm. Nothing else of the actor.
 */
export interface ActorStorage {
  /** The actor's name, for logs (read when logging: it is not known while the actor is built). */
  actorName(): string;
  /** Runs a statement and reads every row (see `Actor.query`). */
  query<T = Row>(statement: string, ...params: SqlValue[]): T[];
  /** Whether a table made on demand exists (reads the catalog only; creates nothing). */
  hasTable(name: string): boolean;
  /** Before a write to a table made on demand: `create` makes it (once), with anything made along with it. */
  ensureTable(name: string, ...create: string[]): void;
  /** One atomic change, the alarm set with it. */
  transaction<T>(fn: () => T): T;
}

/** An actor's own work, run by its alarm. */
export interface ScheduledJobs {
  /** When the next job is due, in epoch ms; null for none. */
  nextJobAt(): number | null;
  /** Runs the jobs due now. At-least-once: each job is idempotent. */
  runDueJobs(): Promise<void>;
}
