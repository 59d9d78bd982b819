import { describe, expect, it } from "vitest";
import { mapBounded } from "../../src/actors/test-clock/bounded-map";

/** A promise the test settles by hand: no timers, so what runs when is exact. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every already-settled promise run its continuations. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe("mapBounded (the test clock's fan-out to its subscriptions)", () => {
  it("keeps exactly `limit` tasks running while items are left, and returns results in the items' order", async () => {
    const gates = Array.from({ length: 10 }, () => deferred<void>());
    const started: number[] = [];
    const done = mapBounded([...gates.keys()], 4, async (i) => {
      started.push(i);
      await gates[i]!.promise;
      return i * 10;
    });
    await settle();
    expect(started).toEqual([0, 1, 2, 3]);
    gates[2]!.resolve();
    await settle();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    for (const gate of gates) gate.resolve();
    expect(await done).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(started).toHaveLength(10);
  });

  it("starts no task after one fails, waits for the running ones, then throws the first error", async () => {
    const gates = Array.from({ length: 6 }, () => deferred<void>());
    const started: number[] = [];
    const finished: number[] = [];
    let outcome: unknown = "pending";
    const done = mapBounded([...gates.keys()], 3, async (i) => {
      started.push(i);
      await gates[i]!.promise;
      finished.push(i);
    }).then(
      () => (outcome = "resolved"),
      (error: Error) => (outcome = error.message),
    );
    await settle();
    gates[1]!.reject(new Error("subscription 1 failed"));
    await settle();
    expect([started, outcome]).toEqual([[0, 1, 2], "pending"]);
    gates[0]!.resolve();
    gates[2]!.resolve();
    await done;
    expect([started, finished.sort(), outcome]).toEqual([[0, 1, 2], [0, 2], "subscription 1 failed"]);
  });

  it("runs nothing for no items and refuses a limit below one", async () => {
    expect(await mapBounded([], 64, async () => 1)).toEqual([]);
    await expect(mapBounded([1], 0, async () => 1)).rejects.toThrow(RangeError);
  });
});
