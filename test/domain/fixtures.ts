import { decideStart } from "../../src/domain/lifecycle";
import type { SubscriptionState } from "../../src/domain/subscription";
import { parseIso } from "../../src/domain/time";

// Shared by the domain tests: a monthly Basic subscription (1000 usd) started on 2026-04-01, active.

export const april1 = parseIso("2026-04-01T00:00:00Z")!;
export const may1 = parseIso("2026-05-01T00:00:00Z")!;

export function activeMonthly(): SubscriptionState {
  const d = decideStart({
    plan: {
      id: "plan_basic",
      name: "Basic",
      currency: "usd",
      amount: 1000,
      cadence: { interval: "month", intervalCount: 1 },
      trialDays: 0,
    },
    quantity: 1,
    now: april1,
    trialDays: 0,
    billingCycleAnchor: null,
  });
  if (!d.ok) throw new Error(d.error.code);
  return { ...d.decision.state, status: "active" };
}
