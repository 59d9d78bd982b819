import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DunningPolicy } from "../../src/domain/retry-schedule";
import {
  DEFAULT_DUNNING,
  INCOMPLETE_EXPIRY_SECONDS,
  nextAttemptAt,
  parseDunningPolicy,
} from "../../src/domain/retry-schedule";
import { parseIso, toIso } from "../../src/domain/time";

const DAY = 86_400;
const T0 = parseIso("2026-01-31T10:00:00Z")!;

/** Fails every attempt at the moment it is scheduled; returns the attempt times. */
function attemptTimes(policy: DunningPolicy, firstAttempt: number): number[] {
  const times = [firstAttempt];
  for (let attempt = 1; ; attempt++) {
    const next = nextAttemptAt(policy, attempt, times[attempt - 1]!);
    if (next === null) return times;
    times.push(next);
  }
}

describe("payment retry schedule", () => {
  it("retries by default at +0, +1 d, +4 d, +9 d and +16 d, then gives up", () => {
    expect(attemptTimes(DEFAULT_DUNNING, T0).map((t) => (t - T0) / DAY)).toEqual([0, 1, 4, 9, 16]);
    expect(attemptTimes(DEFAULT_DUNNING, T0).map(toIso)).toEqual([
      "2026-01-31T10:00:00Z",
      "2026-02-01T10:00:00Z",
      "2026-02-04T10:00:00Z",
      "2026-02-09T10:00:00Z",
      "2026-02-16T10:00:00Z",
    ]);
  });

  it("schedules each retry from the time the previous attempt failed", () => {
    expect(nextAttemptAt(DEFAULT_DUNNING, 1, T0)).toBe(T0 + 1 * DAY);
    // The second attempt ran two hours late; the third is 3 days after it failed.
    expect(nextAttemptAt(DEFAULT_DUNNING, 2, T0 + DAY + 7_200)).toBe(T0 + 4 * DAY + 7_200);
    expect(nextAttemptAt(DEFAULT_DUNNING, 3, T0 + 4 * DAY)).toBe(T0 + 9 * DAY);
    expect(nextAttemptAt(DEFAULT_DUNNING, 4, T0 + 9 * DAY)).toBe(T0 + 16 * DAY);
  });

  it("has no next attempt after the fifth one fails", () => {
    expect(nextAttemptAt(DEFAULT_DUNNING, 5, T0 + 16 * DAY)).toBeNull();
    expect(nextAttemptAt(DEFAULT_DUNNING, 6, T0 + 30 * DAY)).toBeNull();
  });

  it("cancels by default after the last attempt", () => {
    expect(DEFAULT_DUNNING).toEqual({ retryDays: [1, 3, 5, 7], finalAction: "cancel" });
  });

  it("gives a first invoice 23 hours to be paid", () => {
    expect(INCOMPLETE_EXPIRY_SECONDS).toBe(82_800);
  });

  it("makes as many attempts as retry days plus one, each after the last", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 365 }), { maxLength: 20 }),
        fc.integer({ min: 0, max: 7_000_000_000 }),
        (days, t0) => {
          const times = attemptTimes({ retryDays: days, finalAction: "cancel" }, t0);
          expect(times).toHaveLength(days.length + 1);
          for (const [i, d] of days.entries()) expect(times[i + 1]! - times[i]!).toBe(d * DAY);
        },
      ),
    );
  });
});

describe("dunning policy from the environment", () => {
  it("uses the default ladder and cancel when nothing is set", () => {
    expect(parseDunningPolicy(undefined, undefined)).toEqual({ retryDays: [1, 3, 5, 7], finalAction: "cancel" });
    expect(parseDunningPolicy(undefined, "")).toEqual({ retryDays: [1, 3, 5, 7], finalAction: "cancel" });
  });

  it("accepts custom retry days and each final action", () => {
    expect(parseDunningPolicy("2,4", "unpaid")).toEqual({ retryDays: [2, 4], finalAction: "unpaid" });
    expect(parseDunningPolicy(" 1 , 3 ,5 ", " past_due ")).toEqual({ retryDays: [1, 3, 5], finalAction: "past_due" });
    expect(parseDunningPolicy("7", "cancel")).toEqual({ retryDays: [7], finalAction: "cancel" });
    expect(parseDunningPolicy("365", undefined).retryDays).toEqual([365]);
  });

  it("treats an empty list as a single attempt with no retries", () => {
    const policy = parseDunningPolicy("", "unpaid");
    expect(policy).toEqual({ retryDays: [], finalAction: "unpaid" });
    expect(nextAttemptAt(policy, 1, T0)).toBeNull();
    expect(parseDunningPolicy("   ", undefined).retryDays).toEqual([]);
  });

  it.each(["1,x", "0", "-1", "1.5", "366", "1,,3", "1,", "x", "1e1", "0x10", "+3", "Infinity"])(
    "rejects retry days %j with a message that says what is expected",
    (bad) => {
      expect(() => parseDunningPolicy(bad, undefined)).toThrow(
        `BILLIFY_RETRY_DAYS must be a comma-separated list of whole days between 1 and 365 (at most 20), e.g. "1,3,5,7"; got "${bad}"`,
      );
    },
  );

  it("rejects more than 20 retries", () => {
    expect(parseDunningPolicy(Array(20).fill("1").join(","), undefined).retryDays).toHaveLength(20);
    expect(() => parseDunningPolicy(Array(21).fill("1").join(","), undefined)).toThrow(/at most 20/);
  });

  it("rejects an unknown final action, naming the allowed ones", () => {
    expect(() => parseDunningPolicy("1,3", "explode")).toThrow(
      'BILLIFY_FINAL_ACTION must be one of cancel, unpaid, past_due; got "explode"',
    );
    expect(() => parseDunningPolicy(undefined, "CANCEL")).toThrow(/BILLIFY_FINAL_ACTION/);
  });
});
