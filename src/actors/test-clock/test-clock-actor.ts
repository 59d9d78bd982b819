import type { Outcome } from "../../contract/errors";
import { failure, notFound, ok } from "../../contract/errors";
import type { Idempotency } from "../../contract/idempotency";
import type { TestClock } from "../../contract/test-clock";
import type { Instant } from "../../domain/time";
import { toIso } from "../../domain/time";
import { Actor } from "../actor";
import { IdempotentRequests } from "../capabilities/idempotent-requests";
import { subscriptionStub } from "../stubs";
import { mapBounded } from "./bounded-map";

export type TestClockView = TestClock & { frozen_time_instant: Instant };

/**
 * How long an `advance` request waits for its advance before answering `advancing` (the
 * advance goes on; `GET` shows it, and the clock's alarm sees it through after a restart).
 */
const ADVANCE_ANSWER_WITHIN_MS = 10_000;

/** How often a running advance stores its progress and lets other events reach the clock. */
const YIELD_EVERY_MS = 200;

/**
 * At most this many calls from an advance to its subscriptions are open at once: a step with
 * every subscription of a large clock due (1,000 renewals on the 1st) must not open them all
 * at one moment; 64 at once already overlaps each subscription's waits (its commits, KV write
 * and events) with the others' work.
 */
export const MAX_CALLS_IN_FLIGHT = 64;

/**
 * A test clock (test mode only): simulated time for every subscription of its customers.
 *
 * `advance` is a durable job of the clock: the target time is stored with `status =
 * advancing` in one transaction that also arms the clock's alarm, so a crash at any moment
 * leaves an advance that the alarm resumes without another request. The advance runs every
 * job due up to the target across the clock's subscriptions, one due time at a time, every
 * member due then at once: always the earliest due time first, and the next only when every
 * subscription due at it has finished, so renewals, retries and notifications happen in time
 * order. The time reached is stored as the advance goes, and a resumed advance never runs a
 * step at an earlier time.
 *
 * Calls go one way only, clock → subscription: the clock passes each subscription the time it
 * runs at (`runJobsUntil(at)`, then `clockMoved(target)`), and a subscription never calls its
 * clock back while the clock is waiting on it.
 */
export class TestClockActor extends Actor {
  protected readonly migrations = [
    [
      `CREATE TABLE clock (id TEXT PRIMARY KEY, frozen_time INTEGER NOT NULL, status TEXT NOT NULL, created INTEGER NOT NULL)`,
      `CREATE TABLE member (subscription_id TEXT PRIMARY KEY)`,
    ],
    // v2: the advance as a durable job: its target and when it was asked for (the alarm's time).
    [`ALTER TABLE clock ADD COLUMN target INTEGER`, `ALTER TABLE clock ADD COLUMN advance_requested_ms INTEGER`],
  ];

  /** The advance running in this instance, shared by the request and the alarm. */
  private running: Promise<void> | null = null;

  private readonly requests = new IdempotentRequests(this.storage, () => this.afterWrite());

  /** Its one job: an advance stored and not yet finished. */
  protected override readonly jobs = {
    /** While an advance is stored, the alarm is due (at the time it was asked for). */
    nextJobAt: (): number | null =>
      this.queryOne<{ advance_requested_ms: number | null; target: number | null }>(
        "SELECT target, advance_requested_ms FROM clock WHERE target IS NOT NULL",
      )?.advance_requested_ms ?? null,
    runDueJobs: () => this.resume(),
  };

  async create(
    id: string,
    frozenTime: Instant,
    nowMs: number,
    idem: Idempotency | null,
  ): Promise<Outcome<TestClockView>> {
    return this.requests.run(idem, () =>
      this.requests.commit(idem, () => {
        if (this.load())
          return failure<TestClockView>(409, "resource_already_exists", `Test clock '${id}' already exists`);
        this.query(
          "INSERT INTO clock (id, frozen_time, status, created) VALUES (?, ?, 'ready', ?)",
          id,
          frozenTime,
          Math.floor(nowMs / 1000),
        );
        return ok(this.load()!, 201);
      }),
    );
  }

  /** Never waits for an advance: it answers from storage as it is now. */
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

  /**
   * Stores the target (the durable job), then runs the advance for up to
   * ADVANCE_ANSWER_WITHIN_MS: `ready` if it finished by then, else `advancing`.
   */
  async advance(id: string, to: Instant, idem: Idempotency | null): Promise<Outcome<TestClockView>> {
    return this.requests.run(idem, async () => {
      const started = this.requests.commit(idem, () => {
        const clock = this.load();
        if (!clock || clock.id !== id) return notFound<TestClockView>("test clock", id);
        if (clock.status === "advancing")
          return failure<TestClockView>(409, "clock_advancing", "The test clock is already advancing.");
        if (to <= clock.frozen_time_instant) {
          return failure<TestClockView>(
            400,
            "parameter_invalid",
            `frozen_time must be after the clock's current time ${clock.frozen_time}`,
            "frozen_time",
          );
        }
        this.query("UPDATE clock SET status = 'advancing', target = ?, advance_requested_ms = ?", to, Date.now());
        return ok(this.load()!);
      });
      if (!started.ok) return started;
      let timer: number | undefined;
      const deadline = new Promise<void>(
        (resolve) => (timer = setTimeout(resolve, ADVANCE_ANSWER_WITHIN_MS) as unknown as number),
      );
      try {
        await Promise.race([this.resume(), deadline]);
      } catch (error) {
        // The job stays stored; the alarm retries it (with back-off) and records the error.
        console.error(`advance of test clock ${id} failed; its alarm will resume it`, error);
      } finally {
        clearTimeout(timer ?? null);
      }
      return ok(this.load()!);
    });
  }

  /** Runs the stored advance, or joins the run already going on in this instance. */
  private resume(): Promise<void> {
    this.running ??= this.runToTarget().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /**
   * Advances step by step to the stored target. Each step is one due time, the earliest
   * among the subscriptions' next jobs: the clock's time moves to it, and every subscription
   * with a job due then runs what is due at that instant, all at once (at most
   * MAX_CALLS_IN_FLIGHT calls open); the next step starts when the whole step has ended, so a
   * job never runs before one due earlier on any subscription. Then every subscription learns
   * the final time, and the clock is ready. Every step is safe to run again: a resumed advance
   * asks the subscriptions afresh.
   */
  private async runToTarget(): Promise<void> {
    const target = this.queryOne<{ target: number | null }>("SELECT target FROM clock")?.target ?? null;
    if (target === null) return;
    const members = this.query<{ subscription_id: string }>("SELECT subscription_id FROM member").map(
      (m) => m.subscription_id,
    );
    let reached = this.load()!.frozen_time_instant;
    const pace = this.pacer(reached, () => reached);
    // One stub per member for the whole advance: each makes three or four calls (bench/profile-renewal.md).
    const stubs = new Map(members.map((sub) => [sub, subscriptionStub(this.env, sub)]));
    const due = new Map<string, Instant | null>();
    await mapBounded(members, MAX_CALLS_IN_FLIGHT, async (sub) => {
      await pace();
      due.set(sub, (await stubs.get(sub)?.nextDueAt()) ?? null);
    });
    for (;;) {
      let earliest: Instant | null = null;
      for (const at of due.values()) {
        if (at !== null && at <= target && (earliest === null || at < earliest)) earliest = at;
      }
      if (earliest === null) break;
      // A resumed advance runs whatever is still due before the time it had stored at that time.
      const at = Math.max(earliest, reached);
      reached = at;
      const step = [...due].filter(([, next]) => next !== null && next <= at).map(([sub]) => sub);
      await mapBounded(step, MAX_CALLS_IN_FLIGHT, async (sub) => {
        await pace();
        due.set(sub, await stubs.get(sub)!.runJobsUntil(at));
      });
    }
    await mapBounded(members, MAX_CALLS_IN_FLIGHT, async (sub) => {
      await pace();
      await stubs.get(sub)?.clockMoved(target);
    });
    this.transaction(() =>
      this.query(
        "UPDATE clock SET frozen_time = ?, status = 'ready', target = NULL, advance_requested_ms = NULL",
        target,
      ),
    );
  }

  /**
   * The advance's pause, awaited before each call to a subscription: once every
   * YIELD_EVERY_MS it stores the time reached (`reached()`) and lets other events in (a GET of
   * the clock, the request's own deadline), and no call starts until that has happened. Calls
   * between objects of one process can resolve without ever yielding, so a long advance would
   * otherwise hold the clock until it ends. The progress is stored at the same pace (GET shows
   * it; a resumed advance never runs a step before it): a write per step would cost a commit
   * per step.
   */
  private pacer(stored: Instant, reached: () => Instant): () => Promise<void> | undefined {
    let yielded = Date.now();
    let pause: Promise<void> | null = null;
    return () => {
      if (pause) return pause;
      if (Date.now() - yielded < YIELD_EVERY_MS) return;
      const now = reached();
      if (now > stored) {
        this.transaction(() => this.query("UPDATE clock SET frozen_time = MAX(frozen_time, ?)", now));
        stored = now;
      }
      pause = new Promise<void>((resolve) => setTimeout(resolve, 0)).then(() => {
        yielded = Date.now();
        pause = null;
      });
      return pause;
    };
  }

  private load(): TestClockView | null {
    const row = this.queryOne<{ id: string; frozen_time: number; status: string; created: number }>(
      "SELECT * FROM clock",
    );
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
}
