import { describe, expect, it } from "vitest";
import { advance, invoicesOf, ok, subscribeOnClock } from "../helpers";

describe("renewals on a test clock", () => {
  it("invoices the first period at creation and each month at the anchor's day", async () => {
    const { clock, subscription } = await subscribeOnClock("2026-01-31T10:00:00Z", { amount: 1000 });
    expect(subscription.status).toBe("active");
    expect(subscription.current_period_end).toBe("2026-02-28T10:00:00Z");
    await advance(clock.id, "2026-04-01T00:00:00Z");
    const sub = await ok("GET", `/v1/subscriptions/${subscription.id}`);
    expect(sub.current_period_start).toBe("2026-03-31T10:00:00Z");
    const invoices = await invoicesOf(subscription.id);
    expect(invoices.map((i) => [i.period_start, i.period_end, i.amount_due, i.status])).toEqual([
      ["2026-01-31T10:00:00Z", "2026-02-28T10:00:00Z", 1000, "paid"],
      ["2026-02-28T10:00:00Z", "2026-03-31T10:00:00Z", 1000, "paid"],
      ["2026-03-31T10:00:00Z", "2026-04-30T10:00:00Z", 1000, "paid"],
    ]);
  });
});
