import { describe, expect, it } from "vitest";
import { SerialRuns } from "../../src/lib/serial-runs";

describe("SerialRuns", () => {
  it("never overlaps passes: calls made while one runs are served by one more pass", async () => {
    let active = 0;
    let most = 0;
    let passes = 0;
    const gates: (() => void)[] = [];
    const runs = new SerialRuns(async () => {
      passes++;
      active++;
      most = Math.max(most, active);
      await new Promise<void>((resolve) => gates.push(resolve));
      active--;
    });
    const first = runs.run();
    const second = runs.run();
    const third = runs.run();
    gates.shift()!();
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
    gates.shift()!();
    await Promise.all([first, second, third]);
    expect(passes).toBe(2);
    expect(most).toBe(1);
  });

  it("runs once more when a pass asks for it, and a failing pass rejects the run", async () => {
    let passes = 0;
    const runs: SerialRuns = new SerialRuns(async () => {
      passes++;
      if (passes === 1) runs.again();
      if (passes === 3) throw new Error("down");
    });
    await runs.run();
    expect(passes).toBe(2);
    await expect(runs.run()).rejects.toThrow("down");
    expect(passes).toBe(3);
  });
});
