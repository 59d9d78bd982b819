import type { TestClock } from "../../contract/test-clock";
import type { Instant } from "../../domain/time";
import { toIso } from "../../domain/time";
import type { Outcome } from "../../errors";
import { failure, notFound, ok } from "../../errors";
import type { Idempotency } from "../actor";
import { Actor } from "../actor";
import { subscriptionStub } from "../stubs";

export type TestClockView = TestClock & { frozen_time_instant: Instant };

/**
 * A test clock (test mode only): simulated time for every subscription of its customers.
 * `advance` runs every job due up to the new time across those subscriptions, one due time
 * at a time and always the earliest first, so renewals, retries and notifications happen in
 * time order; then the clock is `ready` at the new time.
 */
export class TestClockActor extends Actor {
  protected readonly migrations = [
    [
      `CREATE TABLE clock (id TEXT PRIMARY KEY, frozen_time INTEGER NOT NULL, status TEXT NOT NULL, created INTEGER NOT NULL)`,
      `CREATE TABLE member (subscription_id TEXT PRIMARY KEY)`,
    ],
  ];

  async create(id: string, frozenTime: Instant, nowMs: number, idem: Idempotency | null): Promise<Outcome<TestClockView>> {
    return this.once(idem, () =>
      this.commit(idem, () => {
        if (this.load()) return failure<TestClockView>(409, "resource_already_exists", `Test clock '${id}' already exists`);
        this.query("INSERT INTO clock (id, frozen_time, status, created) VALUES (?, ?, 'ready', ?)", id, frozenTime, Math.floor(nowMs / 1000));
        return ok(this.load()!, 201);
      }),
    );
  }

  async get(id: string): Promise<Outcome<TestClockView>> {
    const clock = this.load();
    return clock && clock.id === id ? ok(clock) : notFound("test clock", id);
  }

  async register(id: string, subscriptionId: string): Promise<Outcome<TestClockView>> {
    const clock = this.load();
    if (!clock || clock.id !== id) return notFound("test clock", id);
    this.query("INSERT OR IGNORE INTO member (subscription_id) VALUES (?)", subscriptionId);
    return ok(clock);
  }

  async advance(id: string, to: Instant, idem: Idempotency | null): Promise<Outcome<TestClockView>> {
    return this.once(idem, async () => {
      const clock = this.load();
      if (!clock || clock.id !== id) return notFound("test clock", id);
      if (clock.status === "advancing") return failure(409, "clock_advancing", "The test clock is already advancing.");
      if (to <= clock.frozen_time_instant) {
        return failure(400, "parameter_invalid", `frozen_time must be after the clock's current time ${clock.frozen_time}`, "frozen_time");
      }
      this.query("UPDATE clock SET status = 'advancing'");
      try {
        await this.runUntil(to);
        this.query("UPDATE clock SET frozen_time = ?, status = 'ready'", to);
      } catch (error) {
        this.query("UPDATE clock SET status = 'ready'");
        throw error;
      }
      return ok(this.load()!);
    });
  }

  /**
   * Advances step by step: the clock's time moves to the earliest due job among its
   * subscriptions, that subscription runs what is due then, and the next earliest follows.
   */
  private async runUntil(to: Instant): Promise<void> {
    const members = this.query<{ subscription_id: string }>("SELECT subscription_id FROM member").map((m) => m.subscription_id);
    const due = new Map<string, Instant | null>();
    await Promise.all(members.map(async (sub) => due.set(sub, (await subscriptionStub(this.env, sub)?.nextDueAt()) ?? null)));
    for (;;) {
      let earliest: { sub: string; at: Instant } | null = null;
      for (const [sub, at] of due) {
        if (at !== null && at <= to && (!earliest || at < earliest.at)) earliest = { sub, at };
      }
      if (!earliest) return;
      // Subscriptions read the clock for "now" while their jobs run.
      this.query("UPDATE clock SET frozen_time = MAX(frozen_time, ?)", earliest.at);
      const next = await subscriptionStub(this.env, earliest.sub)!.runJobsUntil(earliest.at);
      due.set(earliest.sub, next);
    }
  }

  private load(): TestClockView | null {
    const row = this.queryOne<{ id: string; frozen_time: number; status: string; created: number }>("SELECT * FROM clock");
    if (!row) return null;
    return {
      id: row.id,
      object: "test_clock",
      frozen_time: toIso(row.frozen_time),
      frozen_time_instant: row.frozen_time,
      status: row.status as TestClock["status"],
      created: toIso(row.created),
    };
  }

  // ---- Actor hooks: no read model --------------------------------------------------

  protected async writeReadModel(): Promise<void> {}

  protected readModelVersion(): number {
    return 0;
  }

  // ---- Actor hooks: no jobs of its own ----------------------------------------------

  protected nextJobAt(): number | null {
    return null;
  }

  protected async runDueJobs(): Promise<void> {}
}
