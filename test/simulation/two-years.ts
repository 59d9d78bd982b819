import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { expect } from "vitest";
import type { Invoice, Payment } from "../../src/contract/invoice";
import type { Subscription } from "../../src/contract/subscription";
import { advance, api, createClock, createPlan, ok, paymentsOf } from "../helpers";
import {
  expectEachCyclePeriodOnce,
  expectInvoiceAmounts,
  expectPaymentsOfInvoice,
  expectStatusAgainstOpenInvoices,
} from "../invariants";

/**
 * Two-year random simulations on a test clock: a daily, weekly or monthly subscription under
 * random changes, cancels, resumes, invoice items, card switches (succeeding ↔ declining),
 * manual payments and voids, with the clock advanced in random steps until two years have
 * passed. After EVERY step the invariants below are checked from what the API returns (and
 * the actor's job table). Used by `npm test` (a few runs) and `npm run bench -- sim` (many).
 */

const DAY = 86_400;
const TWO_YEARS = 731 * DAY;
type Interval = "day" | "week" | "month";
const PM = { visa: "pm_card_visa", declined: "pm_card_chargeDeclined" } as const;

type Op =
  | { kind: "change"; plan: number; quantity: number; behavior: "create_prorations" | "always_invoice" | "none" }
  | { kind: "cancel" }
  | { kind: "resume" }
  | { kind: "item"; amount: number }
  | { kind: "pm"; pm: keyof typeof PM }
  | { kind: "manual"; fraction: number }
  | { kind: "void" }
  | { kind: "discount"; coupon: number }
  | { kind: "undiscount" };

/** The coupons a simulation may apply (rule 13), and its tax rate (rule 16). */
const COUPONS = [
  { percent_off: 50, duration: "forever" },
  { percent_off: 12.5, duration: "repeating", duration_in_months: 2 },
  { amount_off: 700, currency: "usd", duration: "once" },
] as const;

interface Scenario {
  interval: Interval;
  amounts: [number, number, number];
  pm: keyof typeof PM;
  /** A tax rate on the subscription from its start: none, exclusive or inclusive (percent). */
  tax: { percentage: number; inclusive: boolean } | null;
  /** Each step: an operation (or none), then the clock moves on by `hours` (6 h … 70 days; the last step to two years). */
  steps: { op: Op | null; hours: number }[];
}

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("change" as const),
      plan: fc.integer({ min: 0, max: 2 }),
      quantity: fc.integer({ min: 1, max: 3 }),
      behavior: fc.constantFrom("create_prorations" as const, "always_invoice" as const, "none" as const),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "cancel" as const }) }, // at period end; a later resume undoes it
  { weight: 2, arbitrary: fc.constant({ kind: "resume" as const }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("item" as const), amount: fc.integer({ min: 1, max: 3_000 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("pm" as const),
      pm: fc.constantFrom("visa" as const, "declined" as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("manual" as const), fraction: fc.constantFrom(0.5, 1) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "void" as const }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("discount" as const), coupon: fc.integer({ min: 0, max: 2 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "undiscount" as const }) },
);

export const scenario: fc.Arbitrary<Scenario> = fc.record({
  interval: fc.constantFrom<Interval>("day", "week", "month"),
  amounts: fc.tuple(
    fc.integer({ min: 100, max: 5_000 }),
    fc.integer({ min: 100, max: 5_000 }),
    fc.integer({ min: 100, max: 5_000 }),
  ),
  pm: fc.constantFrom<keyof typeof PM>("visa", "visa", "declined"),
  tax: fc.option(fc.record({ percentage: fc.constantFrom(7.25, 19, 20), inclusive: fc.boolean() }), { nil: null }),
  steps: fc.array(
    fc.record({ op: fc.option(op, { nil: null, freq: 4 }), hours: fc.integer({ min: 6, max: 70 * 24 }) }),
    { minLength: 8, maxLength: 24 },
  ),
});

async function allInvoices(id: string): Promise<Invoice[]> {
  const all: Invoice[] = [];
  let cursor = "";
  for (;;) {
    const page = await ok<{ data: Invoice[]; has_more: boolean; next_cursor: string | null }>(
      "GET",
      `/v1/subscriptions/${id}/invoices?limit=100${cursor}`,
    );
    all.push(...page.data);
    if (!page.has_more) return all.reverse();
    cursor = `&cursor=${page.next_cursor}`;
  }
}

/** Payments are read again only for invoices that changed since the last check. */
type Seen = Map<string, string>;

async function checkInvariants(id: string, clockTime: number, seen: Seen, where: string) {
  const [sub, invoices] = await Promise.all([ok<Subscription>("GET", `/v1/subscriptions/${id}`), allInvoices(id)]);
  const say = (what: string) => `${where}: ${what}`;
  // 1. No period invoiced twice; 2. no gap: the cycle invoices tile time from the start.
  const cycle = invoices.filter(
    (i) => i.billing_reason === "subscription_create" || i.billing_reason === "subscription_cycle",
  );
  expectEachCyclePeriodOnce(invoices, where);
  for (let k = 1; k < cycle.length; k++)
    expect(cycle[k]!.period_start, say("a gap between periods")).toBe(cycle[k - 1]!.period_end);
  if (sub.status === "active" || sub.status === "past_due") {
    expect(cycle.at(-1)!.period_start, say("the current period is not invoiced")).toBe(sub.current_period_start);
  }
  const open = invoices.filter((i) => i.status === "open");
  for (const invoice of invoices) {
    // 7. total = subtotal − discounts + exclusive tax; the invoice's sums are its lines' (rules 13e, 16).
    const sum = (xs: { amount: number }[]) => xs.reduce((t, x) => t + x.amount, 0);
    const discounts = sum(invoice.total_discount_amounts);
    const exclusive = sum(invoice.total_tax_amounts.filter((t) => !t.inclusive));
    expect(invoice.total, say(`total of ${invoice.id}`)).toBe(invoice.subtotal - discounts + exclusive);
    expect(discounts, say(`discounts of ${invoice.id}`)).toBe(sum(invoice.lines.flatMap((l) => l.discount_amounts)));
    expect(invoice.tax, say(`tax of ${invoice.id}`)).toBe(sum(invoice.lines.flatMap((l) => l.tax_amounts)));
    for (const line of invoice.lines) {
      const d = sum(line.discount_amounts);
      expect(Math.abs(d) <= Math.abs(line.amount), say(`a discount beyond its line in ${invoice.id}`)).toBe(true);
    }
    // 4. What remains is what is due less what is paid; nothing is paid beyond what is due.
    expectInvoiceAmounts(invoice, say(invoice.id));
    // 3. No invoice paid twice: succeeded payments never exceed what is due (late ones are refunded).
    const fingerprint = `${invoice.status}/${invoice.amount_paid}/${invoice.attempt_count}`;
    if (seen.get(invoice.id) === fingerprint) continue;
    seen.set(invoice.id, fingerprint);
    expectPaymentsOfInvoice(invoice, await paymentsOf<Payment>(invoice.id), say(invoice.id));
  }
  // 6. Status against open invoices (rule 9).
  expectStatusAgainstOpenInvoices(sub, invoices, where);
  if (sub.status === "incomplete") expect(cycle[0]!.status, say("incomplete, first invoice not open")).toBe("open");
  if (sub.status === "incomplete_expired")
    expect(cycle[0]!.status, say("expired, first invoice not void")).toBe("void");
  // 5. No job due at or before the clock's time is left behind: the clock's next advance, or
  // the alarm for work not on the clock, has the earliest one.
  const jobs = await runInDurableObject(env.SUBSCRIPTIONS.getByName(id.slice(-16)), (_instance, state) =>
    // A payment's reconcile is its `reconcile_at` column (schema v14), a job like the others.
    state.storage.sql
      .exec<{ kind: string; due_at: number }>(
        `SELECT kind, due_at FROM job UNION ALL SELECT 'reconcile_payment', reconcile_at FROM payment
         WHERE reconcile_at IS NOT NULL ORDER BY due_at`,
      )
      .toArray(),
  );
  const overdue = jobs.filter((j) => j.due_at <= clockTime);
  expect(overdue, say("jobs due and not run")).toEqual([]);
  return { sub, open };
}

/** One simulation; returns the number of invoices it made. */
export async function simulate(s: Scenario): Promise<number> {
  const start = Date.parse("2026-01-31T10:00:00Z") / 1000;
  const clock = await createClock(new Date(start * 1000).toISOString().replace(".000Z", "Z"));
  const plans = await Promise.all(
    s.amounts.map((amount, k) => createPlan({ name: `P${k}`, amount, interval: s.interval })),
  );
  const customer = await ok("POST", "/v1/customers", {
    email: "sim@example.com",
    payment_method: PM[s.pm],
    test_clock: clock.id,
  });
  const coupons = await Promise.all(COUPONS.map((c) => ok("POST", "/v1/coupons", c)));
  const taxRates = s.tax ? [(await ok("POST", "/v1/tax_rates", { display_name: "Tax", ...s.tax })).id as string] : [];
  const created = await api("POST", "/v1/subscriptions", {
    customer: customer.id,
    plan: plans[0]!.id,
    default_tax_rates: taxRates,
  });
  expect(created.status).toBe(201);
  /** Discounts given: each coupon's times_redeemed must equal them (rule 13a). */
  const given = COUPONS.map(() => 0);
  const id: string = created.body.id;
  const seen: Seen = new Map();
  let now = start;
  let { open } = await checkInvariants(id, now, seen, "after create");
  const end = start + TWO_YEARS;
  for (const [k, step] of s.steps.entries()) {
    const target = k === s.steps.length - 1 ? end : Math.min(end, now + step.hours * 3_600);
    if (step.op) {
      const o = step.op;
      const invoice = open[0];
      let response: { status: number; body: any } | null = null;
      if (o.kind === "change")
        response = await api("POST", `/v1/subscriptions/${id}/change`, {
          plan: plans[o.plan]!.id,
          quantity: o.quantity,
          proration_behavior: o.behavior,
        });
      if (o.kind === "cancel") response = await api("POST", `/v1/subscriptions/${id}/cancel`, { at_period_end: true });
      if (o.kind === "resume") response = await api("POST", `/v1/subscriptions/${id}/resume`, {});
      if (o.kind === "item")
        response = await api("POST", `/v1/subscriptions/${id}/invoice_items`, {
          amount: o.amount,
          description: "Extra",
        });
      if (o.kind === "pm") response = await api("PATCH", `/v1/customers/${customer.id}`, { payment_method: PM[o.pm] });
      if (o.kind === "manual" && invoice) {
        const amount = Math.max(1, Math.floor(invoice.amount_remaining * o.fraction));
        response = await api("POST", `/v1/invoices/${invoice.id}/payments`, { amount, reference: `wire-${k}` });
      }
      if (o.kind === "void" && invoice) response = await api("POST", `/v1/invoices/${invoice.id}/void`, {});
      if (o.kind === "discount") {
        response = await api("POST", `/v1/subscriptions/${id}/discount`, { coupon: coupons[o.coupon]!.id });
        if (response.status === 200) given[o.coupon]! += 1;
      }
      if (o.kind === "undiscount") response = await api("DELETE", `/v1/subscriptions/${id}/discount`);
      // An operation may be refused (a canceled subscription, nothing open); never a 500.
      if (response) expect(response.status, `step ${k} ${o.kind}: ${JSON.stringify(response.body)}`).toBeLessThan(500);
      ({ open } = await checkInvariants(id, now, seen, `step ${k} after ${o.kind}`));
    }
    if (target > now) {
      const clockNow = await advance(clock.id, new Date(target * 1000).toISOString().replace(".000Z", "Z"));
      expect(clockNow.status).toBe("ready");
      now = target;
      ({ open } = await checkInvariants(id, now, seen, `step ${k} after advancing to ${clockNow.frozen_time}`));
    }
  }
  const redeemed = await Promise.all(coupons.map((c) => ok("GET", `/v1/coupons/${c.id}`)));
  expect(
    redeemed.map((c) => c.times_redeemed),
    "times_redeemed = discounts given",
  ).toEqual(given);
  return (await allInvoices(id)).length;
}

/** Runs `runs` simulations; returns the invoices each made. */
export async function simulateTwoYears(runs: number, seed?: number): Promise<number[]> {
  const made: number[] = [];
  await fc.assert(
    fc.asyncProperty(scenario, async (s) => {
      made.push(await simulate(s));
    }),
    { numRuns: runs, seed, endOnFailure: true },
  );
  return made;
}
