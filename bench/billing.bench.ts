import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import type { SubscriptionActor } from "../src/actors/subscription/subscription-actor";
import { periodIndexAt, periodStart } from "../src/domain/billing-period";
import { finalizeTotals } from "../src/domain/invoice";
import { prorationCharge, prorationCredit } from "../src/domain/proration";
import { advance, ok, subscribeOnClock } from "../test/helpers";

/**
 * Benchmarks with targets. Time is wall-clock inside workerd on this machine (a guide, not a
 * gate); storage rows are exact and are what Cloudflare bills, so their targets are gates.
 */
const results: string[][] = [["operation", "mean", "rows written", "rows read"]];

async function time(iterations: number, run: () => unknown | Promise<unknown>): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < iterations; i++) await run();
  return (performance.now() - start) / iterations;
}

const usageOf = (stub: DurableObjectStub<SubscriptionActor>) =>
  runInDurableObject(stub, (instance: SubscriptionActor) => ({ ...instance.usage }));

it("domain: proration and periods", async () => {
  const monthly = { interval: "month" as const, intervalCount: 1 };
  const anchor = 1_769_853_600;
  const item = { planId: "pro", planName: "Pro", amount: 1999, quantity: 3 };
  const period = { start: anchor, end: periodStart(anchor, monthly, 1) };
  const proration = await time(20_000, () =>
    finalizeTotals(
      [prorationCredit(item, period, anchor + 1_234_567), prorationCharge(item, period, anchor + 1_234_567)],
      500,
    ),
  );
  const index = await time(20_000, () => periodIndexAt(anchor, monthly, anchor + 50 * 31_556_952));
  results.push(["proration credit + charge + totals", `${(proration * 1000).toFixed(2)} µs`, "-", "-"]);
  results.push(["period index 50 years out", `${(index * 1000).toFixed(2)} µs`, "-", "-"]);
  expect(proration).toBeLessThan(1);
});

it("actor: create, renew and change a subscription", async () => {
  const { clock, subscription, customer, plan } = await subscribeOnClock("2026-01-01T00:00:00Z", { amount: 1000 });
  const stub = env.SUBSCRIPTIONS.getByName(subscription.id.slice(-16));
  const created = await usageOf(stub);

  let month = 1;
  const renewMs = await time(24, async () => {
    month += 1;
    const y = 2026 + Math.floor((month - 1) / 12);
    const m = ((month - 1) % 12) + 1;
    await advance(clock.id, `${y}-${String(m).padStart(2, "0")}-01T00:00:00Z`);
  });
  const renewed = await usageOf(stub);
  const perRenewal = {
    w: (renewed.rowsWritten - created.rowsWritten) / 24,
    r: (renewed.rowsRead - created.rowsRead) / 24,
  };

  const createMs = await time(20, () => ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id }));
  results.push([
    "create subscription (invoice + paid)",
    `${createMs.toFixed(1)} ms`,
    String(created.rowsWritten),
    String(created.rowsRead),
  ]);
  results.push([
    "renewal via test clock (invoice + paid)",
    `${renewMs.toFixed(1)} ms`,
    perRenewal.w.toFixed(1),
    perRenewal.r.toFixed(1),
  ]);
  // NOTE: Cloudflare's prices (paid plan): rows written $1.00/M, rows read $0.001/M, KV writes
  // $5/M, DO requests $0.15/M. A production renewal is one alarm, one customer read (the
  // payment method) and one KV write of the summary.
  const dollarsPerMillionRenewals = perRenewal.w * 1.0 + perRenewal.r * 0.001 + 1 * 5.0 + 2 * 0.15;
  results.push(["≈ cost of 1M paid renewals", `$${dollarsPerMillionRenewals.toFixed(2)}`, "-", "-"]);
  console.log(`\n${results.map((r) => r.map((c) => c.padEnd(42)).join("")).join("\n")}\n`);
  // Cost targets: a paid renewal writes under 60 rows (≈ $0.00006 at $1/M rows written).
  expect(perRenewal.w).toBeLessThan(60);
});
