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
