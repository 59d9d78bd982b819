import type { Backoff } from "../../lib/backoff";
import { backoffDelay } from "../../lib/backoff";
import type { ActorStorage } from "./host";

/** After a failed alarm run, the first retry in 30 s, doubling up to an hour, jittered over its upper half. */
const ALARM_BACKOFF: Backoff = { first: 30_000, cap: 3_600_000, jitter: 0.5 };

/** One row once an alarm run has failed: what an operator needs to see (`health()`). */
const TABLE = "_alarm_failure";
const CREATE = `CREATE TABLE IF NOT EXISTS _alarm_failure (
   id INTEGER PRIMARY KEY CHECK (id = 1), failures INTEGER NOT NULL, last_error TEXT NOT NULL,
   last_failed_ms INTEGER NOT NULL, retry_at_ms INTEGER NOT NULL)`;

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
  return Math.round(backoffDelay(failures, ALARM_BACKOFF, 1 - random));
}

/**
 * The failures of an actor's alarm runs since the last success. The platform retries a
 * throwing alarm only a few times and then drops it, which would leave a renewal unrun for
 * good; so the actor records the failure here instead and retries after a back-off, for as
 * long as it takes.
 */
export class AlarmFailures {
  constructor(private readonly storage: ActorStorage) {}

  /** The earliest the alarm may fire again (0 when the last run succeeded). */
  retryAt(): number {
    if (!this.storage.hasTable(TABLE)) return 0;
    return this.storage.query<{ retry_at_ms: number }>("SELECT retry_at_ms FROM _alarm_failure")[0]?.retry_at_ms ?? 0;
  }

  record(error: unknown, nowMs: number, random: number): void {
    this.storage.ensureTable(TABLE, CREATE);
    const failures =
      (this.storage.query<{ failures: number }>("SELECT failures FROM _alarm_failure")[0]?.failures ?? 0) + 1;
    const retryAt = nowMs + alarmRetryDelayMs(failures, random);
    const message = (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 1_000);
    console.error(
      `alarm of ${this.storage.actorName()} failed (${failures} in a row); retrying at ${new Date(retryAt).toISOString()}`,
      error,
    );
    this.storage.transaction(() =>
      this.storage.query(
        `INSERT INTO _alarm_failure (id, failures, last_error, last_failed_ms, retry_at_ms) VALUES (1, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET failures = excluded.failures, last_error = excluded.last_error,
           last_failed_ms = excluded.last_failed_ms, retry_at_ms = excluded.retry_at_ms`,
        failures,
        message,
        nowMs,
        retryAt,
      ),
    );
  }

  /** After a run that succeeded (writes nothing when nothing had failed). */
  clear(): void {
    if (this.storage.hasTable(TABLE) && this.storage.query("SELECT failures FROM _alarm_failure").length > 0)
      this.storage.transaction(() => this.storage.query("DELETE FROM _alarm_failure"));
  }

  health(armedAt: number | null): AlarmHealth {
    const row = this.storage.hasTable(TABLE)
      ? this.storage.query<{ failures: number; last_error: string; last_failed_ms: number }>(
          "SELECT * FROM _alarm_failure",
        )[0]
      : undefined;
    return {
      armed_at: armedAt,
      failures: row?.failures ?? 0,
      last_error: row?.last_error ?? null,
      last_failed_at: row?.last_failed_ms ?? null,
    };
  }
}
