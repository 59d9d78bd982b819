import { describe, expect, it } from "vitest";
import { upcomingNoticeAt } from "../../src/domain/upcoming";
import { advance, invoicesOf, ok, subscribeOnClock } from "../helpers";

const DAY = 86_400;

async function eventsOf(subscriptionId: string): Promise<{ type: string; created: string; data: { object: any } }[]> {
  return (await ok("GET", `/v1/subscriptions/${subscriptionId}/events?limit=100`)).data;
}

describe("when invoice.upcoming is due", () => {
  it("is `days` before the renewal, only for periods longer than twice that, never with 0", () => {
    const year = { start: 1_767_225_600, end: 1_767_225_600 + 365 * DAY };
    expect(upcomingNoticeAt(year, 7)).toBe(year.end - 7 * DAY);
    expect(upcomingNoticeAt(year, 0)).toBeNull();
    expect(upcomingNoticeAt({ start: 0, end: 14 * DAY }, 7)).toBeNull();
    expect(upcomingNoticeAt({ start: 0, end: 14 * DAY + 1 }, 7)).toBe(7 * DAY + 1);
    expect(upcomingNoticeAt({ start: 0, end: 7 * DAY }, 7)).toBeNull();
  });
});

describe("invoice.upcoming", () => {
  it("announces a yearly renewal 7 days ahead with the very invoice the renewal then makes (a pending item included)", async () => {
    const { clock, subscription } = await subscribeOnClock("2026-03-10T09:00:00Z", { amount: 12000, interval: "year" });
    await ok("POST", `/v1/subscriptions/${subscription.id}/invoice_items`, { amount: 1500, description: "Onboarding" });
    await advance(clock.id, "2027-03-03T08:59:59Z");
    expect((await eventsOf(subscription.id)).filter((e) => e.type === "invoice.upcoming")).toEqual([]);

    await advance(clock.id, "2027-03-03T09:00:00Z");
    const [upcoming, ...more] = (await eventsOf(subscription.id)).filter((e) => e.type === "invoice.upcoming");
    expect(more).toEqual([]);
    expect(upcoming!.created).toBe("2027-03-03T09:00:00Z");
    expect(upcoming!.data.object).toMatchObject({
      object: "invoice",
      upcoming: true,
      subscription: subscription.id,
      customer: subscription.customer,
      currency: "usd",
      billing_reason: "subscription_cycle",
      period_start: "2027-03-10T09:00:00Z",
      period_end: "2028-03-10T09:00:00Z",
      subtotal: 13500,
      total: 13500,
      amount_due: 13500,
      created: "2027-03-10T09:00:00Z",
    });

    await advance(clock.id, "2027-03-10T09:00:00Z");
    const renewal = (await invoicesOf(subscription.id)).at(-1);
    expect(renewal).toMatchObject({
      billing_reason: "subscription_cycle",
      subtotal: 13500,
      amount_due: 13500,
      period_start: "2027-03-10T09:00:00Z",
    });
    const strip = ({ id: _id, ...line }: Record<string, unknown>) => line;
    expect(renewal.lines.map(strip)).toEqual(upcoming!.data.object.lines.map(strip));
    expect(
      upcoming!.data.object.lines.map((l: { description: string; amount: number }) => [l.description, l.amount]),
    ).toEqual([
      [renewal.lines[0].description, 12000],
      ["Onboarding", 1500],
    ]);

    // One per period: the next comes a year later, not again for this one.
    await advance(clock.id, "2028-03-03T09:00:00Z");
    const all = (await eventsOf(subscription.id)).filter((e) => e.type === "invoice.upcoming");
    expect(all.map((e) => e.created)).toEqual(["2027-03-03T09:00:00Z", "2028-03-03T09:00:00Z"]);
  });

  it("is recorded for a monthly plan too (webhooks), and not for a weekly one (7 days is not more than twice 7)", async () => {
    const monthly = await subscribeOnClock("2026-01-01T00:00:00Z", { amount: 1000, interval: "month" });
    await advance(monthly.clock.id, "2026-02-01T00:00:00Z");
    expect(
      (await eventsOf(monthly.subscription.id)).filter((e) => e.type === "invoice.upcoming").map((e) => e.created),
    ).toEqual(["2026-01-25T00:00:00Z"]);

    const weekly = await subscribeOnClock("2026-01-01T00:00:00Z", { amount: 300, interval: "week" });
    await advance(weekly.clock.id, "2026-01-29T00:00:00Z");
    expect((await eventsOf(weekly.subscription.id)).filter((e) => e.type === "invoice.upcoming")).toEqual([]);
  });

  it("is not sent for a renewal that will not happen (cancel at period end)", async () => {
    const { clock, subscription } = await subscribeOnClock("2026-01-01T00:00:00Z", { amount: 12000, interval: "year" });
    await ok("POST", `/v1/subscriptions/${subscription.id}/cancel`, { at_period_end: true });
    await advance(clock.id, "2027-01-02T00:00:00Z");
    const types = (await eventsOf(subscription.id)).map((e) => e.type);
    expect(types).not.toContain("invoice.upcoming");
    expect(types).toContain("subscription.canceled");
  });
});
