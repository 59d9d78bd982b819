import { describe, expect, it } from "vitest";
import { simulateTwoYears } from "./two-years";

describe("two-year random simulations (fast-check; more in `npm run bench -- sim`)", () => {
  it("keep every invariant after every step", { timeout: 120_000 }, async () => {
    const made = await simulateTwoYears(5);
    // Every run made its first invoice (and, unless it ended early, up to 731 more).
    expect(made.length).toBe(5);
    expect(made.every((n) => n >= 1 && n <= 800)).toBe(true);
  });
});

describe("a simulation that once failed, pinned by its seed", () => {
  // Seed -922638577: cancel at period end, then resume inside the 7-day notice window; the
  // invoice.upcoming job used to be written already due and was never run.
  it("resumed inside the notice window, schedules no reminder in the past", { timeout: 120_000 }, async () => {
    const made = await simulateTwoYears(1, -922638577);
    expect(made.length).toBe(1);
  });
});
