import { describe, expect, it } from "vitest";
import { simulateTwoYears } from "../test/simulation/two-years";

/** `npm run bench -- sim`: the two-year simulations of `npm test`, with 100 runs. */
describe("sim", () => {
  it("100 two-year random simulations keep every invariant after every step", { timeout: 3_600_000 }, async () => {
    const started = Date.now();
    const made = await simulateTwoYears(100);
    console.log(
      `100 simulations, ${made.reduce((a, b) => a + b, 0)} invoices, ${Math.round((Date.now() - started) / 1000)} s`,
    );
    expect(made.length).toBe(100);
  });
});
