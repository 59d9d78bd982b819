import type { Outcome } from "../../contract/errors";
import { failure } from "../../contract/errors";
import type { Idempotency } from "../../contract/idempotency";
import type { ActorStorage } from "./host";

/** Keys are kept 24 hours (docs/billing-rules.md, Conventions). */
const IDEMPOTENCY_TTL_MS = 24 * 3_600 * 1_000;

/** Made by the first request that carries a key (most actors never need it). */
const TABLE = "_idempotency";
const CREATE = `CREATE TABLE IF NOT EXISTS _idempotency (
   key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, outcome TEXT NOT NULL, created_ms INTEGER NOT NULL)`;

/**
 * Idempotency records stored beside the state they describe, written in the same transaction
 * as the change itself. `run` runs an operation at most once per key: a replay returns the
 * stored outcome (marked `replayed`); the same key with another request is 422; a duplicate
 * that arrives while the first is still running is 409. The operation must call `commit` for
 * its final write, which stores the outcome in the same transaction.
 */
export class IdempotentRequests {
  /** Requests under an Idempotency-Key that are running now (concurrent duplicates get 409). */
  private readonly inFlight = new Set<string>();

  /** `afterWrite`: after every operation, whatever its outcome (the actor publishes its changes). */
  constructor(
    private readonly storage: ActorStorage,
    private readonly afterWrite: () => Promise<void>,
  ) {}

  async run<T>(
    idem: Idempotency | null,
    operation: () => Promise<Outcome<T>> | Outcome<T>,
  ): Promise<Outcome<T> & { replayed?: boolean }> {
    if (!idem) return this.finish(await operation());
    const stored = this.storage.hasTable(TABLE)
      ? this.storage.query<{ fingerprint: string; outcome: string; created_ms: number }>(
          "SELECT fingerprint, outcome, created_ms FROM _idempotency WHERE key = ?",
          idem.key,
        )[0]
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
      return await this.finish(outcome);
    } finally {
      this.inFlight.delete(idem.key);
    }
  }

  /**
   * The final write of an operation: `write` runs inside one transaction together with the
   * idempotency record of its outcome, so a crash keeps both or neither.
   */
  commit<T>(idem: Idempotency | null, write: () => Outcome<T>): Outcome<T> {
    return this.storage.transaction(() => {
      const outcome = write();
      if (idem && outcome.status < 500) this.remember(idem, outcome);
      return outcome;
    });
  }

  private async finish<T>(outcome: T): Promise<T> {
    await this.afterWrite();
    return outcome;
  }

  private remember(idem: Idempotency, outcome: Outcome<unknown>): void {
    this.storage.ensureTable(TABLE, CREATE);
    this.storage.query(
      `INSERT INTO _idempotency (key, fingerprint, outcome, created_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET fingerprint = excluded.fingerprint, outcome = excluded.outcome, created_ms = excluded.created_ms`,
      idem.key,
      idem.fingerprint,
      JSON.stringify(outcome),
      idem.nowMs,
    );
    this.storage.query("DELETE FROM _idempotency WHERE created_ms <= ?", idem.nowMs - IDEMPOTENCY_TTL_MS);
  }
}
