import { describe, expect, it } from "vitest";
import { AdmissionGate, pollDelayMs } from "../../src/lib/admission-gate";

/** A run that ends when the test says so. */
function controlled() {
  let finish!: (value: string) => void;
  let fail!: (error: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return { finish, fail, work: () => done };
}

/** Lets every promise continuation that is ready run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("AdmissionGate", () => {
  it("runs at most `limit` at once and lets the others in, in arrival order, as runs end", async () => {
    const gate = new AdmissionGate(2, 60_000);
    const started: number[] = [];
    const runs = [0, 1, 2, 3, 4].map(() => controlled());
    const results = runs.map((r, i) =>
      gate.run(() => {
        started.push(i);
        return r.work();
      }),
    );
    await settle();
    expect(started).toEqual([0, 1]);
    expect(gate.running).toBe(2);
    expect(gate.waiting).toBe(3);

    runs[1]!.finish("one");
    await settle();
    expect(started).toEqual([0, 1, 2]);
    runs[0]!.finish("zero");
    await settle();
    expect(started).toEqual([0, 1, 2, 3]);
    runs[3]!.finish("three");
    await settle();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    runs[2]!.finish("two");
    runs[4]!.finish("four");
    expect(await Promise.all(results)).toEqual(["zero", "one", "two", "three", "four"]);
    expect(gate.running).toBe(0);
    expect(gate.waiting).toBe(0);
  });

  it("puts a newcomer behind the runs already waiting (first come, first served)", async () => {
    const gate = new AdmissionGate(1, 60_000);
    const order: string[] = [];
    const first = controlled();
    const a = gate.run(() => {
      order.push("first");
      return first.work();
    });
    const b = gate.run(async () => {
      order.push("waiting");
      return "waiting";
    });
    await settle();
    // The permit passes straight to the waiting run when the first ends: it is never free
    // while someone waits, so a newcomer cannot take it.
    first.finish("first");
    const c = gate.run(async () => {
      order.push("newcomer");
      return "newcomer";
    });
    await Promise.all([a, b, c]);
    expect(order).toEqual(["first", "waiting", "newcomer"]);
  });

  it("lets the next run in when a run throws, and passes the error to its caller", async () => {
    const gate = new AdmissionGate(1, 60_000);
    const failing = controlled();
    const a = gate.run(failing.work);
    const b = gate.run(async () => "after");
    failing.fail(new Error("gateway down"));
    await expect(a).rejects.toThrow("gateway down");
    expect(await b).toBe("after");
    expect(gate.running).toBe(0);
  });

  it("serves every one of many runs, none starved, with the limit never exceeded", async () => {
    const gate = new AdmissionGate(3, 60_000);
    let active = 0;
    let most = 0;
    const finished: number[] = [];
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        gate.run(async () => {
          active++;
          most = Math.max(most, active);
          for (let k = 0; k < i % 4; k++) await settle();
          active--;
          finished.push(i);
        }),
      ),
    );
    expect(finished).toHaveLength(200);
    expect(new Set(finished).size).toBe(200);
    expect(most).toBe(3);
  });

  it("stops counting a permit held past its lease, so a run that never ends cannot block the others", async () => {
    let now = 1_000;
    const gate = new AdmissionGate(1, 20, () => now);
    void gate.run(() => new Promise<never>(() => {})); // hangs for good (its request was canceled)
    let ran = false;
    const next = gate.run(async () => {
      ran = true;
    });
    await settle();
    expect(ran).toBe(false);
    now += 20; // the lease has lapsed; the waiter notices at its next check (every lease)
    await next;
    expect(ran).toBe(true);
  });

  it("lets more in once the limit is raised (BILLIFY_ALARM_RUNS_IN_FLIGHT read at each alarm)", async () => {
    const gate = new AdmissionGate(1, 60_000);
    const started: number[] = [];
    const runs = [0, 1, 2].map(() => controlled());
    const results = runs.map((r, i) =>
      gate.run(() => {
        started.push(i);
        return r.work();
      }),
    );
    await settle();
    expect(started).toEqual([0]);
    gate.setLimit(3);
    expect(gate.limit).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the waiters' next look
    expect(started).toEqual([0, 1, 2]);
    expect(() => gate.setLimit(0)).toThrow("limit of 1 or more");
    for (const r of runs) r.finish("done");
    await Promise.all(results);
    expect(gate.running).toBe(0);
  });

  it("refuses a limit below 1 or a lease of 0 when it is made, not when it is used", () => {
    expect(() => new AdmissionGate(0, 1_000)).toThrow("limit of 1 or more");
    expect(() => new AdmissionGate(1.5, 1_000)).toThrow("limit of 1 or more");
    expect(() => new AdmissionGate(2, 0)).toThrow("lease of more than 0 ms");
  });
});

describe("pollDelayMs", () => {
  it("sleeps half the expected wait: place × average run ÷ limit ÷ 2, between 1 ms and 1 s", () => {
    expect(pollDelayMs(0, 20, 4)).toBe(1);
    expect(pollDelayMs(1, 20, 4)).toBe(3); // 2.5 rounded
    expect(pollDelayMs(100, 20, 4)).toBe(250);
    expect(pollDelayMs(10_000, 20, 4)).toBe(1_000);
  });
});
