import { describe, expect, it } from "vitest";
import { sendHostileRequests } from "../test/fuzz/hostile-requests";

/** `npm run bench -- fuzz`: the hostile-request property of `npm test`, with 5,000 cases. */
describe("fuzz", () => {
  it("5,000 hostile requests on every route: no 500, every error in the envelope", { timeout: 1_800_000 }, async () => {
    const statuses = await sendHostileRequests(5_000);
    console.log("statuses", Object.fromEntries([...statuses].sort(([a], [b]) => a - b)));
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(5_000);
  });
});
