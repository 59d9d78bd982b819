import { SerialRuns } from "../../lib/serial-runs";
import type { ActorStorage } from "./host";

/** A failed write of the read model is retried this soon (by the alarm). */
const RETRY_MS = 5_000;

/** What the read model needs of its actor. */
interface ReadModelHost {
  /**
   * Writes the actor's current summary to KV. Returns a time (epoch ms) instead when the write
   * must wait (KV takes one write per second per key): the read model stays behind and the
   * alarm writes the then-current state at that time, so bursts of changes coalesce.
   */
  write(): Promise<number | undefined>;
  /**
   * Optional: a number that grows with every change the read model shows. A change made
   * while a write was under way is then written again; without it, the one write counts.
   */
  changeCount?(): number;
  /**
   * Optional, for an actor whose state carries a version that the mirror records (the
   * subscription): whether the read model is behind, computed, so no flag row is written.
   */
  isBehind?(): boolean;
}

/**
 * An actor's summary in KV (the listings). The write always takes the *current* state, never
 * a snapshot taken earlier, so a retried write can never put an older summary over a newer
 * one. A failed write is retried by the alarm (`retryAt`).
 */
export class ReadModel {
  /** When a deferred write is due (in memory: after an eviction the 5 s retry applies). */
  private dueAt: number | null = null;
  private readonly writes = new SerialRuns(() => this.writeOnce());

  constructor(
    private readonly storage: ActorStorage,
    private readonly host: ReadModelHost,
  ) {}

  /**
   * Call inside the transaction of any change that the read model shows: a flag in `_meta`
   * (already set, no row is written), unless the host computes `isBehind`.
   */
  markChanged(): void {
    if (this.host.isBehind) return;
    this.storage.query(
      "INSERT INTO _meta (key, value) VALUES ('read_model_dirty', 1) ON CONFLICT(key) DO UPDATE SET value = 1 WHERE value <> 1",
    );
  }

  /** Whether the read model is behind the actor's state. */
  isBehind(): boolean {
    if (this.host.isBehind) return this.host.isBehind();
    return !!this.storage.query<{ value: number }>("SELECT value FROM _meta WHERE key = 'read_model_dirty'")[0]?.value;
  }

  private markCaughtUp(): void {
    if (this.host.isBehind) return;
    this.storage.query("UPDATE _meta SET value = 0 WHERE key = 'read_model_dirty'");
  }

  /**
   * When the alarm should retry the write, or null when the read model is up to date: the
   * deferred time, else 5 s from now, or the alarm already set within those 5 s (no new write;
   * then without asking whether the model is behind).
   */
  retryAt(armedAt: number | null, nowMs: number): number | null {
    // An alarm already set no later than 5 s from now (or overdue) is as early as anything
    // below could ask for, and the actor never moves its alarm later: the answer cannot change
    // it, so "behind?" (a read of the actor's state and of its mirror, after every transaction:
    // a fifth of a renewal's CPU in bench/profile-renewal.md) is not asked.
    if (armedAt !== null && armedAt <= nowMs + RETRY_MS && (this.dueAt === null || this.dueAt >= armedAt))
      return armedAt;
    if (!this.isBehind()) return null;
    if (this.dueAt !== null) return this.dueAt;
    return armedAt !== null && armedAt > nowMs && armedAt <= nowMs + RETRY_MS ? armedAt : nowMs + RETRY_MS;
  }

  /**
   * Brings KV up to date now; on failure leaves it behind for the alarm to retry. Writes
   * never overlap: one that starts while another is writing waits and writes again, so an
   * older summary can never land after a newer one.
   */
  catchUp(): Promise<void> {
    return this.writes.run();
  }

  private async writeOnce(): Promise<void> {
    if (!this.isBehind()) return;
    const before = this.host.changeCount?.();
    try {
      const deferredUntil = await this.host.write();
      if (typeof deferredUntil === "number") {
        this.dueAt = deferredUntil;
        return;
      }
      this.dueAt = null;
      // Caught up only if nothing changed while we wrote.
      if (this.host.changeCount?.() === before) this.markCaughtUp();
      else this.writes.again();
    } catch (error) {
      console.warn(`read model write failed for ${this.storage.actorName()}; the alarm will retry`, error);
    }
  }
}
