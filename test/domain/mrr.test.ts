import { describe, expect, it } from "vitest";
import { monthlyRecurringRevenue } from "../../src/domain/mrr";

const month = (n = 1) => ({ interval: "month" as const, intervalCount: n });

describe("monthly recurring revenue (docs/billing-rules.md, Endpoints)", () => {
  it("normalises each interval to a month and rounds once per subscription, halves away from zero", () => {
    expect(monthlyRecurringRevenue("active", 1000, 3, month())).toBe(3000);
    expect(monthlyRecurringRevenue("active", 1000, 1, month(3))).toBe(333); // 333.33
    expect(monthlyRecurringRevenue("active", 1, 1, month(2))).toBe(1); // 0.5 → 1
    expect(monthlyRecurringRevenue("active", 12_000, 1, { interval: "year", intervalCount: 1 })).toBe(1000);
    expect(monthlyRecurringRevenue("active", 1000, 1, { interval: "year", intervalCount: 1 })).toBe(83); // 83.33
    expect(monthlyRecurringRevenue("active", 1001, 1, { interval: "week", intervalCount: 1 })).toBe(4338); // 52052/12 = 4337.67
    expect(monthlyRecurringRevenue("past_due", 333, 1, { interval: "day", intervalCount: 1 })).toBe(10129); // 121545/12 = 10128.75
    expect(monthlyRecurringRevenue("active", 6, 1, { interval: "week", intervalCount: 2 })).toBe(13); // 312/24 = 13
    expect(monthlyRecurringRevenue("active", 18, 1, { interval: "year", intervalCount: 1 })).toBe(2); // 1.5 → 2
  });

  it("counts only active and past_due subscriptions", () => {
    for (const status of ["trialing", "incomplete", "incomplete_expired", "unpaid", "canceled"] as const) {
      expect(monthlyRecurringRevenue(status, 1000, 1, month())).toBe(0);
    }
  });
});
