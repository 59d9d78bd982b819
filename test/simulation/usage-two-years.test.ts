import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatDecimal, parseDecimal } from "../../src/domain/usage/decimal";
import { priceQuantity } from "../../src/domain/usage/pricing";
import { advance, api, createClock, createCustomer, createPlan, invoicesOf, ok } from "../helpers";

// Two years of a metered subscription driven by a test clock, with random events, repeated
// identifiers and late events (timestamped in a month already invoiced): per usage period,
// what all its usage lines billed equals the price of every accepted event of that period.

const TIERS = [
  { up_to: 50, unit_amount_decimal: "1.5", flat_amount: 0 },
  { up_to: 200, unit_amount_decimal: "0.75", flat_amount: 25 },
  { up_to: null, unit_amount_decimal: "0.125", flat_amount: 0 },
];
const PRICE = {
  model: "graduated" as const,
  tiers: TIERS.map((t) => ({
    upTo: t.up_to === null ? null : parseDecimal(String(t.up_to))!,
    unitAmount: parseDecimal(t.unit_amount_decimal)!,
    flatAmount: t.flat_amount,
  })),
};
const DAY = 86_400;
const iso = (s: number) => new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
const monthStart = (year: number, month: number) => Date.UTC(year, month, 1) / 1000;

async function simulate(seed: number) {
  const [plan] = fc.sample(
    fc.array(
      fc.record({
        events: fc.array(
          fc.record({ value: fc.integer({ min: 0, max: 4000 }), at: fc.integer({ min: 0, max: 9 * DAY }) }),
          {
            maxLength: 12,
          },
        ),
        repeats: fc.integer({ min: 0, max: 4 }),
        late: fc.array(
          fc.record({ value: fc.integer({ min: 1, max: 3000 }), before: fc.integer({ min: 1, max: 20 * DAY }) }),
          {
            maxLength: 3,
          },
        ),
      }),
      { minLength: 24, maxLength: 24 },
    ),
    { seed, numRuns: 1 },
  );
  const clock = await createClock("2026-01-01T00:00:00Z");
  const customer = await createCustomer({ test_clock: clock.id });
  const meter = await ok("POST", "/v1/meters", {
    event_name: `sim.${seed}.${Date.now().toString(36)}`,
    display_name: "Sim",
  });
  const p = await createPlan({ amount: 100, charges: [{ meter: meter.id, model: "graduated", tiers: TIERS }] });
  const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: p.id });
  const accepted = new Map<number, bigint>(); // period start → quantity (in 10^-12 units)
  const sent: { identifier: string; value: string; timestamp: string }[] = [];
  let n = 0;
  let lateCount = 0;
  let repeatCount = 0;
  for (const [m, month] of plan!.entries()) {
    const start = monthStart(2026, m);
    const now = start + 10 * DAY;
    await advance(clock.id, iso(now));
    const batch = [];
    for (const e of month.events) {
      const value = (e.value / 100).toFixed(2);
      const event = { identifier: `e${++n}`, value, timestamp: iso(start + e.at) };
      batch.push(event);
      sent.push(event);
      accepted.set(start, (accepted.get(start) ?? 0n) + parseDecimal(value)!);
    }
    for (const l of month.late) {
      if (m === 0) break;
      const value = String(l.value);
      const event = { identifier: `late${++n}`, value, timestamp: iso(start - l.before) };
      lateCount += 1;
      batch.push(event);
      sent.push(event);
      const previous = monthStart(2026, m - 1);
      accepted.set(previous, (accepted.get(previous) ?? 0n) + parseDecimal(value)!);
    }
    // Repeats of identifiers already sent, with other values: never counted again.
    for (let r = 0; r < month.repeats && sent.length > 0; r++) {
      batch.push({ ...sent[(r * 7 + m) % sent.length]!, value: "999", timestamp: iso(now) });
      repeatCount += 1;
    }
    if (batch.length === 0) continue;
    const answer = await api("POST", "/v1/meter_events/batch", {
      events: batch.map((e) => ({
        event_name: meter.event_name,
        identifier: e.identifier,
        timestamp: e.timestamp,
        payload: { customer: customer.id, value: e.value },
      })),
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  }
  // The sample exercised what it claims to: late events and repeated identifiers.
  expect(lateCount).toBeGreaterThan(3);
  expect(repeatCount).toBeGreaterThan(3);
  await advance(clock.id, "2028-02-15T00:00:00Z");
  const billed = new Map<number, number>();
  const quantity = new Map<number, string>();
  for (const invoice of await invoicesOf(sub.id))
    for (const line of invoice.lines.filter((l: { type: string }) => l.type === "usage")) {
      const start = Date.parse(line.period_start) / 1000;
      billed.set(start, (billed.get(start) ?? 0) + line.amount);
      quantity.set(start, line.usage_quantity);
    }
  for (let m = 0; m < 24; m++) {
    const start = monthStart(2026, m);
    const q = accepted.get(start) ?? 0n;
    expect({ month: m, billed: billed.get(start) ?? 0 }).toEqual({ month: m, billed: priceQuantity(PRICE, q) });
    expect({ month: m, quantity: quantity.get(start) }).toEqual({ month: m, quantity: formatDecimal(q) });
  }
}

describe("two years of usage with duplicates and late events", () => {
  it("bills per period exactly the price of every accepted event", { timeout: 120_000 }, async () => {
    await simulate(18);
    await simulate(2026);
  });
});
