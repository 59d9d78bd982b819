import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Cadence, Interval } from "../../src/domain/billing-period";
import { oneIntervalAfter } from "../../src/domain/billing-period";
import { changeSubscription } from "../../src/domain/change";
import { creditReturnedOnClose } from "../../src/domain/invoice";
import type { DomainError, PlanTerms, SubscriptionState, Transition } from "../../src/domain/subscription";
import {
  cancelSubscription,
  manualInvoiceRefusal,
  renew,
  resumeSubscription,
  startSubscription,
} from "../../src/domain/subscription";
import { parseIso } from "../../src/domain/time";

const at = (iso: string): number => {
  const instant = parseIso(iso);
  if (instant === null) throw new Error(`bad test timestamp ${iso}`);
  return instant;
};
const DAY = 86_400;
const monthly: Cadence = { interval: "month", intervalCount: 1 };
const plan = (name: string, amount: number, cadence: Cadence = monthly, currency = "usd"): PlanTerms => ({
  id: `plan_${name.toLowerCase()}`,
  name,
  currency,
  amount,
  cadence,
  trialDays: 0,
});
const basic = plan("Basic", 1000);
const pro = plan("Pro", 2000);

function accepted(decision: Transition): Extract<Transition, { ok: true }> {
  if (decision.ok) return decision;
  throw new Error(`expected a decision, got ${decision.error.code}: ${decision.error.message}`);
}
const refused = (decision: Transition): DomainError | undefined => (decision.ok ? undefined : decision.error);
const start = (p: PlanTerms, now: number, quantity = 1, trialDays = 0, billingCycleAnchor: number | null = null) =>
  accepted(startSubscription({ plan: p, quantity, now, trialDays, billingCycleAnchor }));

// A 30-day period: April 2026, on Basic (1000).
const april1 = at("2026-04-01T00:00:00Z");
const may1 = at("2026-05-01T00:00:00Z");
const midApril = at("2026-04-16T00:00:00Z");
const aprilBasic = (): SubscriptionState => start(basic, april1).state;

/** Independent rounding: num/den, halves away from zero, by floor and remainder. */
function roundOracle(num: bigint, den: bigint): bigint {
  const abs = num < 0n ? -num : num;
  const q = abs / den + (2n * (abs % den) >= den ? 1n : 0n);
  return num < 0n ? -q : q;
}
const termsArb = fc.record({
  amount: fc.integer({ min: 0, max: 100_000 }),
  quantity: fc.integer({ min: 1, max: 100 }),
});

describe("starting a subscription", () => {
  it("bills a full first period from now with no trial", () => {
    const now = at("2026-01-31T10:00:00Z");
    const end = at("2026-02-28T10:00:00Z");
    const { state, invoice, pending } = start(pro, now, 3);
    const unset = {
      trialStart: null,
      trialEnd: null,
      cancelAtPeriodEnd: false,
      canceledAt: null,
      endedAt: null,
      creditBalance: 0,
      discount: null,
      taxRates: [],
      periodDiscount: null,
      pauseCollection: null,
    };
    expect(state).toEqual({
      plan: pro,
      quantity: 3,
      status: "active",
      anchor: now,
      currentPeriodStart: now,
      currentPeriodEnd: end,
      ...unset,
    });
    const line = {
      type: "subscription",
      description: "3 × Pro (2026-01-31 – 2026-02-28)",
      amount: 6000,
      quantity: 3,
      plan: "plan_pro",
      periodStart: now,
      periodEnd: end,
    };
    expect(invoice).toEqual({ reason: "subscription_create", period: { start: now, end }, lines: [line] });
    expect(pending).toEqual([]);
  });

  it("makes no invoice during a trial and anchors the cycle at the trial end", () => {
    const now = at("2026-01-10T00:00:00Z");
    const trialEnd = at("2026-01-24T00:00:00Z");
    const { state, invoice, pending } = start(pro, now, 1, 14);
    expect(state).toMatchObject({
      status: "trialing",
      anchor: trialEnd,
      currentPeriodStart: now,
      currentPeriodEnd: trialEnd,
      trialStart: now,
      trialEnd,
    });
    expect(invoice).toBeNull();
    expect(pending).toEqual([]);
  });

  it("charges a short first period up to the billing_cycle_anchor by rule 6, then full periods from it", () => {
    const now = at("2026-01-10T00:00:00Z");
    const anchor = at("2026-02-01T00:00:00Z");
    const { state, invoice } = start(plan("Pro", 3000), now, 1, 0, anchor);
    expect(state).toMatchObject({
      status: "active",
      anchor,
      currentPeriodStart: now,
      currentPeriodEnd: anchor,
      trialEnd: null,
    });
    // round(3000 × 22 days / 31 days) = round(2129.03) = 2129
    expect(invoice).toEqual({
      reason: "subscription_create",
      period: { start: now, end: anchor },
      lines: [
        expect.objectContaining({
          type: "subscription",
          amount: 2129,
          quantity: 1,
          periodStart: now,
          periodEnd: anchor,
        }),
      ],
    });
    const renewal = accepted(renew(state));
    expect(renewal.state).toMatchObject({ currentPeriodStart: anchor, currentPeriodEnd: at("2026-03-01T00:00:00Z") });
    expect(renewal.invoice?.lines.map((l) => l.amount)).toEqual([3000]);
  });

  it("charges in full a first period whose anchor is exactly one interval away (Jan 31 → Feb 28)", () => {
    const now = at("2026-01-31T10:00:00Z");
    const anchor = at("2026-02-28T10:00:00Z");
    const { state, invoice } = start(basic, now, 2, 0, anchor);
    expect(state).toMatchObject({ anchor, currentPeriodStart: now, currentPeriodEnd: anchor });
    expect(invoice?.lines).toEqual([
      {
        type: "subscription",
        description: "2 × Basic (2026-01-31 – 2026-02-28)",
        amount: 2000,
        quantity: 2,
        plan: "plan_basic",
        periodStart: now,
        periodEnd: anchor,
      },
    ]);
    // Full periods follow from the anchor: [Feb 28, Mar 28).
    expect(accepted(renew(state)).state).toMatchObject({
      currentPeriodStart: anchor,
      currentPeriodEnd: at("2026-03-28T10:00:00Z"),
    });
  });

  it("refuses a billing_cycle_anchor now, in the past, beyond one interval, or with a trial", () => {
    const now = at("2026-01-31T10:00:00Z");
    const attempt = (anchor: number, trialDays = 0) =>
      refused(startSubscription({ plan: basic, quantity: 1, now, trialDays, billingCycleAnchor: anchor }));
    const invalid = { code: "parameter_invalid", param: "billing_cycle_anchor" };
    expect(attempt(now)).toEqual({ ...invalid, message: "billing_cycle_anchor must be in the future" });
    expect(attempt(now - 1)).toMatchObject(invalid);
    expect(attempt(at("2026-02-28T10:00:01Z"))).toMatchObject(invalid);
    expect(attempt(at("2026-02-14T00:00:00Z"), 7)).toMatchObject({
      code: "parameter_conflict",
      param: "billing_cycle_anchor",
    });
    expect(start(basic, now, 1, 0, at("2026-02-28T10:00:00Z")).state.currentPeriodEnd).toBe(at("2026-02-28T10:00:00Z"));
  });

  it("never charges a short first period more than a full one, for any cadence", () => {
    const cadenceArb = fc.record({
      interval: fc.constantFrom<Interval>("day", "week", "month", "year"),
      intervalCount: fc.integer({ min: 1, max: 3 }),
    });
    const anchorFraction = fc.double({ min: 0, max: 1, noNaN: true });
    fc.assert(
      fc.property(
        cadenceArb,
        fc.integer({ min: 0, max: 4_000_000_000 }),
        anchorFraction,
        termsArb,
        (cadence, now, x, terms) => {
          const anchor = now + 1 + Math.floor(x * (oneIntervalAfter(now, cadence) - now - 1));
          const amount =
            start(plan("P", terms.amount, cadence), now, terms.quantity, 0, anchor).invoice?.lines[0]?.amount ?? -1;
          expect(amount >= 0 && amount <= terms.amount * terms.quantity).toBe(true);
        },
      ),
    );
  });
});

describe("renewal", () => {
  it("invoices contiguous periods computed from a Jan 31 anchor, not chained from Feb 28", () => {
    let state = start(basic, at("2026-01-31T10:00:00Z"), 2).state;
    const ends = ["2026-03-31T10:00:00Z", "2026-04-30T10:00:00Z", "2026-05-31T10:00:00Z"].map(at);
    for (const end of ends) {
      const previousEnd = state.currentPeriodEnd;
      const { state: next, invoice, pending } = accepted(renew(state));
      expect(next).toMatchObject({ status: "active", currentPeriodStart: previousEnd, currentPeriodEnd: end });
      expect(invoice).toMatchObject({ reason: "subscription_cycle", period: { start: previousEnd, end } });
      expect(invoice?.lines).toEqual([
        expect.objectContaining({
          type: "subscription",
          amount: 2000,
          quantity: 2,
          periodStart: previousEnd,
          periodEnd: end,
        }),
      ]);
      expect(pending).toEqual([]);
      state = next;
    }
    expect(state.anchor).toBe(at("2026-01-31T10:00:00Z"));
  });

  it("becomes active at the trial end with its first invoice for [trial end, +1 month)", () => {
    const trialing = start(pro, at("2026-01-10T00:00:00Z"), 1, 14).state;
    const { state, invoice } = accepted(renew(trialing));
    expect(state).toMatchObject({
      status: "active",
      currentPeriodStart: at("2026-01-24T00:00:00Z"),
      currentPeriodEnd: at("2026-02-24T00:00:00Z"),
    });
    expect(invoice?.lines.map((l) => l.amount)).toEqual([2000]);
  });

  it("cancels at the period end without an invoice when cancel_at_period_end is set", () => {
    const scheduled = accepted(cancelSubscription(aprilBasic(), true, midApril)).state;
    const { state, invoice, pending } = accepted(renew(scheduled));
    expect(state).toMatchObject({ status: "canceled", endedAt: may1, currentPeriodEnd: may1, canceledAt: midApril });
    expect(invoice).toBeNull();
    expect(pending).toEqual([]);
  });

  it("keeps renewing while past_due, and refuses once ended", () => {
    const { state } = accepted(renew({ ...aprilBasic(), status: "past_due" }));
    expect(state).toMatchObject({
      status: "past_due",
      currentPeriodStart: may1,
      currentPeriodEnd: at("2026-06-01T00:00:00Z"),
    });
    for (const status of ["canceled", "incomplete_expired"] as const) {
      expect(refused(renew({ ...aprilBasic(), status }))?.code).toBe("subscription_ended");
    }
  });
});

describe("changing a subscription", () => {
  it("makes no lines during a trial and keeps the new terms for the trial end", () => {
    const trialing = start(basic, april1, 1, 14).state;
    const { state, invoice, pending } = accepted(
      changeSubscription(trialing, { plan: pro, quantity: 4, prorationBehavior: "always_invoice", now: midApril }),
    );
    expect(state).toEqual({ ...trialing, plan: pro, quantity: 4 });
    expect(invoice).toBeNull();
    expect(pending).toEqual([]);
  });

  it("leaves −500 and +1000 pending when upgrading 1000 → 2000 at mid-period (create_prorations)", () => {
    const before = aprilBasic();
    const { state, invoice, pending } = accepted(
      changeSubscription(before, { plan: pro, quantity: null, prorationBehavior: "create_prorations", now: midApril }),
    );
    expect(state).toEqual({ ...before, plan: pro });
    expect(invoice).toBeNull();
    expect(pending).toEqual([
      {
        type: "proration",
        description: "Unused time on Basic after 2026-04-16",
        amount: -500,
        quantity: 1,
        plan: "plan_basic",
        periodStart: midApril,
        periodEnd: may1,
      },
      {
        type: "proration",
        description: "Remaining time on Pro after 2026-04-16",
        amount: 1000,
        quantity: 1,
        plan: "plan_pro",
        periodStart: midApril,
        periodEnd: may1,
      },
    ]);
    // A quantity change alone prorates the same way: 1 → 3 seats of Basic.
    const seats = accepted(
      changeSubscription(before, { plan: null, quantity: 3, prorationBehavior: "create_prorations", now: midApril }),
    );
    expect(seats.pending.map((l) => [l.amount, l.quantity])).toEqual([
      [-500, 1],
      [1500, 3],
    ]);
  });

  it("invoices the prorations at once for [t, period end) with always_invoice", () => {
    const { invoice, pending } = accepted(
      changeSubscription(aprilBasic(), {
        plan: pro,
        quantity: null,
        prorationBehavior: "always_invoice",
        now: midApril,
      }),
    );
    expect(pending).toEqual([]);
    expect(invoice).toMatchObject({ reason: "subscription_update", period: { start: midApril, end: may1 } });
    expect(invoice?.lines.map((l) => l.amount)).toEqual([-500, 1000]);
  });

  it("applies the change with no lines and no invoice with none", () => {
    const before = aprilBasic();
    const decision = accepted(
      changeSubscription(before, { plan: pro, quantity: 2, prorationBehavior: "none", now: midApril }),
    );
    expect(decision).toEqual({ ok: true, state: { ...before, plan: pro, quantity: 2 }, invoice: null, pending: [] });
  });

  it("restarts the cycle at t on a month → year change and invoices [credit, full year]", () => {
    const yearlyPro = plan("Pro Yearly", 20_000, { interval: "year", intervalCount: 1 });
    const nextYear = at("2027-04-16T00:00:00Z");
    const { state, invoice, pending } = accepted(
      changeSubscription(aprilBasic(), {
        plan: yearlyPro,
        quantity: null,
        prorationBehavior: "create_prorations",
        now: midApril,
      }),
    );
    expect(state).toMatchObject({
      plan: yearlyPro,
      anchor: midApril,
      currentPeriodStart: midApril,
      currentPeriodEnd: nextYear,
    });
    expect(pending).toEqual([]);
    expect(invoice).toMatchObject({ reason: "subscription_update", period: { start: midApril, end: nextYear } });
    const lines = invoice?.lines.map((l) => [l.type, l.amount, l.periodStart, l.periodEnd]);
    expect(lines).toEqual([
      ["proration", -500, midApril, may1],
      ["subscription", 20_000, midApril, nextYear],
    ]);
  });

  it("omits the credit on an interval_count change with none", () => {
    const quarterly = plan("Basic Quarterly", 2700, { interval: "month", intervalCount: 3 });
    const { state, invoice } = accepted(
      changeSubscription(aprilBasic(), { plan: quarterly, quantity: 2, prorationBehavior: "none", now: midApril }),
    );
    expect(state).toMatchObject({
      anchor: midApril,
      currentPeriodStart: midApril,
      currentPeriodEnd: at("2026-07-16T00:00:00Z"),
    });
    expect(invoice?.lines.map((l) => [l.type, l.amount])).toEqual([["subscription", 5400]]);
  });

  it("refuses a plan in another currency", () => {
    const euro = plan("Euro", 900, monthly, "eur");
    expect(
      refused(
        changeSubscription(aprilBasic(), {
          plan: euro,
          quantity: null,
          prorationBehavior: "create_prorations",
          now: midApril,
        }),
      ),
    ).toMatchObject({
      code: "currency_mismatch",
      param: "plan",
    });
  });

  it("refuses a change once canceled, incomplete or incomplete_expired", () => {
    for (const status of ["canceled", "incomplete", "incomplete_expired"] as const) {
      const change = { plan: pro, quantity: null, prorationBehavior: "none", now: midApril } as const;
      expect(refused(changeSubscription({ ...aprilBasic(), status }, change))?.code).toBe("invalid_status");
    }
  });
});

describe("changing in a first period before the billing_cycle_anchor (rules 4 and 6)", () => {
  it("measures a short first period's credit against the whole interval it was charged on", () => {
    // Jan 22 → Feb 1 is 10 days of the 31-day interval [Jan 1, Feb 1): charged round(1000 × 10/31) = 323.
    const state = start(basic, at("2026-01-22T00:00:00Z"), 1, 0, at("2026-02-01T00:00:00Z")).state;
    const t = at("2026-01-27T00:00:00Z"); // 5 days left
    const { pending } = accepted(
      changeSubscription(state, { plan: pro, quantity: null, prorationBehavior: "create_prorations", now: t }),
    );
    // NOTE: f = (Feb 1 − Jan 27)/(Feb 1 − Jan 1) = 5/31: −round(1000 × 5/31) = −161, +round(2000 × 5/31) = +323.
    expect(pending.map((l) => [l.description, l.amount, l.periodStart, l.periodEnd])).toEqual([
      ["Unused time on Basic after 2026-01-27", -161, t, at("2026-02-01T00:00:00Z")],
      ["Remaining time on Pro after 2026-01-27", 323, t, at("2026-02-01T00:00:00Z")],
    ]);
  });

  it("never credits more than the short period charged, for any cadence and change time", () => {
    const cadenceArb = fc.record({
      interval: fc.constantFrom<Interval>("day", "week", "month", "year"),
      intervalCount: fc.integer({ min: 1, max: 3 }),
    });
    const fraction = fc.double({ min: 0, max: 1, noNaN: true });
    fc.assert(
      fc.property(
        cadenceArb,
        fc.integer({ min: 0, max: 4_000_000_000 }),
        fraction,
        fraction,
        termsArb,
        (cadence, now, x, y, terms) => {
          const anchor = now + 1 + Math.floor(x * (oneIntervalAfter(now, cadence) - now - 1));
          const p = plan("P", terms.amount, cadence);
          const started = start(p, now, terms.quantity, 0, anchor);
          const charged = started.invoice!.lines[0]!.amount;
          const t = now + Math.floor(y * (anchor - now));
          const change = accepted(
            changeSubscription(started.state, {
              plan: null,
              quantity: terms.quantity + 1,
              prorationBehavior: "create_prorations",
              now: t,
            }),
          );
          expect(-change.pending[0]!.amount).toBeLessThanOrEqual(charged);
        },
      ),
    );
  });

  it("credits a full first period (anchor one interval away) against that period itself", () => {
    const state = start(basic, at("2026-01-31T10:00:00Z"), 1, 0, at("2026-02-28T10:00:00Z")).state;
    const { pending } = accepted(
      changeSubscription(state, {
        plan: pro,
        quantity: null,
        prorationBehavior: "create_prorations",
        now: at("2026-02-14T10:00:00Z"),
      }),
    );
    // f = 14 days / 28 days.
    expect(pending.map((l) => l.amount)).toEqual([-500, 1000]);
  });
});

describe("a sequence of changes within one period", () => {
  it("leaves pending exactly Σ (−round(old × f) + round(new × f)) and never moves the period", () => {
    fc.assert(
      fc.property(
        termsArb,
        fc.array(fc.record({ offset: fc.integer({ min: 0, max: 30 * DAY - 1 }), to: termsArb }), { maxLength: 8 }),
        (initial, changes) => {
          let state = start(plan("Plan 0", initial.amount), april1, initial.quantity).state;
          const times = changes.map((c) => april1 + c.offset).sort((a, b) => a - b);
          const length = BigInt(may1 - april1);
          let pendingSum = 0;
          let oracle = 0n;
          changes.forEach(({ to }, i) => {
            const t = times[i]!;
            const old = BigInt(state.plan.amount * state.quantity);
            const decision = accepted(
              changeSubscription(state, {
                plan: plan(`Plan ${i + 1}`, to.amount),
                quantity: to.quantity,
                prorationBehavior: "create_prorations",
                now: t,
              }),
            );
            expect(decision.invoice).toBeNull();
            expect(decision.pending).toHaveLength(2);
            pendingSum += decision.pending.reduce((sum, line) => sum + line.amount, 0);
            const remaining = BigInt(may1 - t);
            oracle +=
              -roundOracle(old * remaining, length) + roundOracle(BigInt(to.amount * to.quantity) * remaining, length);
            state = decision.state;
            expect(state).toMatchObject({
              status: "active",
              anchor: april1,
              currentPeriodStart: april1,
              currentPeriodEnd: may1,
            });
          });
          expect(BigInt(pendingSum)).toBe(oracle);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("cancel and resume", () => {
  it("schedules a cancellation at the period end with canceled_at, and resume clears both", () => {
    const before = aprilBasic();
    const { state, invoice } = accepted(cancelSubscription(before, true, midApril));
    expect(state).toEqual({ ...before, cancelAtPeriodEnd: true, canceledAt: midApril });
    expect(invoice).toBeNull();
    expect(accepted(resumeSubscription(state))).toEqual({ ok: true, state: before, invoice: null, pending: [] });
  });

  it("ends at once with no credit and no invoice when immediate", () => {
    const { state, invoice, pending } = accepted(cancelSubscription(aprilBasic(), false, midApril));
    expect(state).toMatchObject({
      status: "canceled",
      cancelAtPeriodEnd: false,
      canceledAt: midApril,
      endedAt: midApril,
      creditBalance: 0,
    });
    expect(invoice).toBeNull();
    expect(pending).toEqual([]);
  });

  it("refuses to cancel or resume an ended subscription", () => {
    const ended = accepted(cancelSubscription(aprilBasic(), false, midApril)).state;
    expect(refused(cancelSubscription(ended, true, midApril + DAY))?.code).toBe("subscription_ended");
    expect(refused(cancelSubscription({ ...ended, status: "incomplete_expired" }, false, midApril + DAY))?.code).toBe(
      "subscription_ended",
    );
    expect(refused(resumeSubscription(ended))?.code).toBe("subscription_ended");
  });
});

describe("invoicing now (manualInvoiceRefusal)", () => {
  it("allows it while trialing, active, past_due or unpaid", () => {
    for (const status of ["trialing", "active", "past_due", "unpaid"] as const)
      expect(manualInvoiceRefusal(status)).toBeNull();
  });

  it("refuses it once ended, and while incomplete (rule 9: only the first invoice is owed)", () => {
    expect(manualInvoiceRefusal("canceled")?.code).toBe("subscription_ended");
    expect(manualInvoiceRefusal("incomplete_expired")?.code).toBe("subscription_ended");
    expect(manualInvoiceRefusal("incomplete")?.code).toBe("invalid_status");
  });
});

describe("a change to the same plan and quantity", () => {
  it("makes no lines and no invoice, whatever the proration behavior", () => {
    const state = aprilBasic();
    for (const prorationBehavior of ["create_prorations", "always_invoice", "none"] as const) {
      const decision = changeSubscription(state, {
        plan: null,
        quantity: state.quantity,
        prorationBehavior,
        now: state.currentPeriodStart + 1000,
      });
      expect(decision).toEqual({ ok: true, state, invoice: null, pending: [] });
    }
  });
});

describe("an incomplete subscription's renewals (rule 9)", () => {
  // A 12 h first period: Jan 10 12:00 → anchor Jan 11 00:00 (monthly).
  const created = at("2026-01-10T12:00:00Z");
  const anchor = at("2026-01-11T00:00:00Z");
  const incomplete = (): SubscriptionState => ({ ...start(basic, created, 1, 0, anchor).state, status: "incomplete" });

  it("holds the renewal that falls due while incomplete: no invoice, state unchanged", () => {
    const state = incomplete();
    const decision = accepted(renew(state));
    expect(decision).toEqual({ ok: true, state, invoice: null, pending: [], held: true });
  });
});

describe("pending lines at the end (rule 12)", () => {
  const item = (amount: number) => ({
    type: "invoice_item" as const,
    description: `item ${amount}`,
    amount,
    quantity: 1,
    plan: null,
    periodStart: april1,
    periodEnd: april1,
  });

  it("invoices a positive sum at once on a final invoice when canceled now", () => {
    const decision = accepted(cancelSubscription(aprilBasic(), false, midApril, [item(700), item(-200)]));
    expect(decision.state).toMatchObject({ status: "canceled", endedAt: midApril, canceledAt: midApril });
    expect(decision.invoice).toEqual({
      reason: "subscription_final",
      period: { start: midApril, end: midApril },
      lines: [],
    });
    expect(decision.dropped).toBeUndefined();
  });

  it("invoices a positive sum at the period end when cancel_at_period_end is set", () => {
    const scheduled = accepted(cancelSubscription(aprilBasic(), true, midApril, [item(300)])).state;
    expect(accepted(cancelSubscription(aprilBasic(), true, midApril, [item(300)])).invoice).toBeNull();
    const ended = accepted(renew(scheduled, [item(300)]));
    expect(ended.state).toMatchObject({ status: "canceled", endedAt: may1 });
    expect(ended.invoice).toEqual({ reason: "subscription_final", period: { start: may1, end: may1 }, lines: [] });
  });

  it("drops a zero or negative sum, and says which lines it dropped", () => {
    for (const lines of [[item(-500)], [item(500), item(-500)]]) {
      const decision = accepted(cancelSubscription(aprilBasic(), false, midApril, lines));
      expect(decision.invoice).toBeNull();
      expect(decision.dropped).toEqual(lines);
    }
  });
});

describe("voiding returns credit (rule 8)", () => {
  it("gives credit_applied back on void, not on uncollectible", () => {
    expect(creditReturnedOnClose("void", 250)).toBe(250);
    expect(creditReturnedOnClose("uncollectible", 250)).toBe(0);
  });
});
