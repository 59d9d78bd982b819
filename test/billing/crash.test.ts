import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Config } from "../../src/actors/config";
import type { SubscriptionActor } from "../../src/actors/subscription/subscription-actor";
import type { TestClockActor } from "../../src/actors/test-clock/test-clock-actor";
import { idWithRoutingKey, routingKeyFromIdempotencyKey } from "../../src/lib/ids";
import type { ChargeRequest, PaymentGateway } from "../../src/payments/gateway";
import { backdateOneDay } from "../backdate";
import { crashAfterTransactions } from "../crash";
import { api, createCustomer, createPlan, invoicesOf, ok, paymentsOf } from "../helpers";

/**
 * The clock's calls to the member `name` run inside that member (as the platform would) but
 * the clock sees a member that died as a lost connection, as it would after SIGKILL: an error
 * on its own side of the call, not one thrown back across the RPC (which workerd would log).
 */
async function callerSeesMemberDie(clock: DurableObjectStub, name: string): Promise<void> {
  await runInDurableObject(clock, (instance: TestClockActor) => {
    const held = instance as unknown as { env: { SUBSCRIPTIONS: DurableObjectNamespace<SubscriptionActor> } };
    const namespace = held.env.SUBSCRIPTIONS;
    const runJobsUntil = async (stub: DurableObjectStub<SubscriptionActor>, at: number) => {
      const ran = await runInDurableObject(stub, async (member: SubscriptionActor) => {
        try {
          return { due: await member.runJobsUntil(at) };
        } catch (error) {
          return { died: String(error) };
        }
      });
      if ("died" in ran) throw new Error(`network connection lost (${ran.died})`);
      return ran.due;
    };
    const members = new Proxy(namespace, {
      get(target, property) {
        if (property !== "getByName") return Reflect.get(target, property);
        return (key: string) => {
          const stub = target.getByName(key);
          if (key !== name) return stub;
          return new Proxy(stub, {
            get: (member, method) =>
              method === "runJobsUntil" ? (at: number) => runJobsUntil(stub, at) : Reflect.get(member, method),
          });
        };
      },
    });
    held.env = { ...held.env, SUBSCRIPTIONS: members };
  });
}

/** The restart: a new instance over the same storage (a crashed one holds no request). */
async function restart(stub: DurableObjectStub): Promise<void> {
  await evictDurableObject(stub).catch(() => {}); // not running: nothing to evict
}

/** The invariant after any crash: a job is never left without an alarm to run it in time. */
async function expectAlarmForEarliestJob(stub: DurableObjectStub): Promise<number | null> {
  const { alarm, earliest } = await runInDurableObject(stub, async (_i, state) => ({
    alarm: await state.storage.getAlarm(),
    earliest: state.storage.sql
      .exec<{ due: number | null }>(
        "SELECT MIN(due) AS due FROM (SELECT MIN(due_at) AS due FROM job UNION ALL SELECT MIN(reconcile_at) FROM payment)",
      )
      .one().due,
  }));
  if (earliest !== null) {
    expect(alarm).not.toBeNull();
    // A read-model retry may come first; an alarm set for a past time is stored as "now".
    expect(alarm!).toBeLessThanOrEqual(Math.max(earliest * 1000, Date.now()));
  }
  return earliest;
}

/**
 * The jobs of collecting a payment: they may run now; the others (renewal, expiry, notices) keep
 * their time. A reconcile is the `reconcile_at` column of its pending payment (schema v14).
 */
const PAYMENT_JOBS = "('retry_payment', 'refund_payment')";

/** Lets time pass for the payment jobs (retries, reconciles, refunds). */
async function retryJobsDueNow(stub: DurableObjectStub): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  await runInDurableObject(stub, (_i, state) => {
    state.storage.sql.exec(`UPDATE job SET due_at = ? WHERE due_at > ? AND kind IN ${PAYMENT_JOBS}`, now - 1, now);
    state.storage.sql.exec("UPDATE payment SET reconcile_at = ? WHERE reconcile_at > ?", now - 1, now);
    const failures = state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = '_alarm_failure'").toArray();
    if (failures.length > 0) state.storage.sql.exec("DELETE FROM _alarm_failure");
  });
}

/** Runs the alarm until no payment job is left (each run is one restart-free pass). */
async function runAlarmUntilSettled(stub: DurableObjectStub): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await retryJobsDueNow(stub);
    await runDurableObjectAlarm(stub);
    const left = await runInDurableObject(
      stub,
      (_i, state) =>
        state.storage.sql
          .exec(
            `SELECT (SELECT COUNT(*) FROM job WHERE kind IN ${PAYMENT_JOBS})
               + (SELECT COUNT(*) FROM payment WHERE reconcile_at IS NOT NULL) AS n`,
          )
          .one().n as number,
    );
    if (left === 0) return;
  }
}

let errors: ReturnType<typeof vi.spyOn>;
let warnings: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  // A crash surfaces as a 500 (logged) or a failed alarm run (logged): expected here.
  errors = vi.spyOn(console, "error").mockImplementation(() => {});
  warnings = vi.spyOn(console, "warn").mockImplementation(() => {});
});
afterEach(() => {
  errors.mockRestore();
  warnings.mockRestore();
});

/** Each kind of first moment a create can end in (rules 2, 7 and 9), and what it must end as. */
const CREATES = [
  {
    kind: "a good card",
    paymentMethod: "pm_card_visa",
    trialDays: 0,
    invoices: [["subscription_create", "paid", 1200]],
    payments: [[1, "succeeded"]],
    status: "active",
  },
  {
    kind: "a declined card (incomplete, rule 9)",
    paymentMethod: "pm_card_chargeDeclined",
    trialDays: 0,
    invoices: [["subscription_create", "open", 0]],
    payments: [[1, "failed"]],
    status: "incomplete",
  },
  {
    kind: "a trial (no invoice, rule 7)",
    paymentMethod: "pm_card_visa",
    trialDays: 14,
    invoices: [],
    payments: [],
    status: "trialing",
  },
] as const;

describe.each(CREATES)("a crash at every step of creating a subscription with $kind", (expected) => {
  it("ends, after a restart and no further request, with the first invoice attempted exactly once", async () => {
    const plan = await createPlan({ amount: 1200, interval: "day", trial_days: expected.trialDays });
    let step = 0;
    for (; step < 12; step++) {
      const customer = await createCustomer({ payment_method: expected.paymentMethod });
      const key = `crash-create-${step}-${crypto.randomUUID()}`;
      const name = await routingKeyFromIdempotencyKey("POST /v1/subscriptions", key);
      const injected = await crashAfterTransactions(env.SUBSCRIPTIONS.getByName(name), step);
      // The router's call, made inside the object so that the crash is caught here rather
      // than reported by the runtime as an uncaught error of the RPC.
      const id = idWithRoutingKey("sub", Date.now(), name);
      const input = {
        customer: customer.id,
        plan: plan.id,
        quantity: 1,
        trialDays: null,
        billingCycleAnchor: null,
        metadata: {},
      };
      const created = await runInDurableObject(
        env.SUBSCRIPTIONS.getByName(name),
        async (instance: SubscriptionActor) => {
          try {
            return (await instance.create(id, input, null)).status;
          } catch {
            return "crashed";
          }
        },
      );
      if (!injected.crashed()) {
        expect(created).toBe(201);
        break; // every step has been crashed at
      }
      expect([step, created]).toEqual([step, "crashed"]);
      const stub = env.SUBSCRIPTIONS.getByName(name);
      await restart(stub);
      const subscription = await runInDurableObject(stub, (_i, state) =>
        state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'subscription'").toArray().length
          ? (state.storage.sql.exec("SELECT id FROM subscription").toArray()[0]?.id as string | undefined)
          : undefined,
      );
      if (subscription === undefined) continue; // died before the subscription was committed: nothing to finish
      await expectAlarmForEarliestJob(stub);
      await runAlarmUntilSettled(stub);
      const invoices = await invoicesOf(subscription);
      expect([step, invoices.map((i) => [i.billing_reason, i.status, i.amount_paid])]).toEqual([
        step,
        expected.invoices,
      ]);
      const payments = invoices.length > 0 ? await paymentsOf(invoices[0].id) : [];
      expect([step, payments.map((p: any) => [p.attempt, p.status])]).toEqual([step, expected.payments]);
      expect((await ok("GET", `/v1/subscriptions/${subscription}`)).status).toBe(expected.status);
      // The next renewal, the incomplete invoice's expiry, or the trial's end: armed.
      expect(await expectAlarmForEarliestJob(stub)).not.toBeNull();
    }
    expect(step).toBeGreaterThanOrEqual(expected.trialDays > 0 ? 1 : 3);
  });
});

describe("a crash at every step of a renewal", () => {
  it("invoices the period exactly once and charges it exactly once, from the alarm alone", async () => {
    const plan = await createPlan({ amount: 300, interval: "day" });
    let step = 0;
    for (; step < 12; step++) {
      const customer = await createCustomer();
      const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
      const stub = env.SUBSCRIPTIONS.getByName(sub.id.slice(-16));
      await backdateOneDay(stub);
      const injected = await crashAfterTransactions(stub, step);
      await runDurableObjectAlarm(stub).catch(() => {});
      const crashed = injected.crashed();
      await restart(stub);
      await expectAlarmForEarliestJob(stub);
      await runAlarmUntilSettled(stub);
      await runDurableObjectAlarm(stub); // once more: at-least-once alarms change nothing
      const invoices = await invoicesOf(sub.id);
      expect([step, invoices.map((i) => [i.billing_reason, i.status, i.amount_paid, i.attempt_count])]).toEqual([
        step,
        [
          ["subscription_create", "paid", 300, 1],
          ["subscription_cycle", "paid", 300, 1],
        ],
      ]);
      expect(invoices[1].period_start).toBe(invoices[0].period_end);
      await expectAlarmForEarliestJob(stub);
      if (!crashed) break;
    }
    expect(step).toBeGreaterThanOrEqual(2);
  });
});

describe("a crash at every step of a test clock advance", () => {
  it("leaves the clock advancing (GET answers at once, a second advance is 409) until its alarm finishes the advance", async () => {
    const plan = await createPlan({ amount: 100, interval: "day" });
    let step = 0;
    for (; step < 20; step++) {
      const clock = await ok("POST", "/v1/test_clocks", { frozen_time: "2026-05-01T00:00:00Z" });
      const customer = await createCustomer({ test_clock: clock.id });
      const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
      const stub = env.TEST_CLOCKS.getByName(clock.id.slice(-16));
      const injected = await crashAfterTransactions(stub, step);
      const answer = await runInDurableObject(stub, async (instance: TestClockActor) => {
        try {
          const outcome = await instance.advance(clock.id, Date.parse("2026-05-06T00:00:00Z") / 1000, null);
          return outcome.ok ? outcome.value.status : outcome.status;
        } catch {
          return "crashed";
        }
      });
      await restart(stub);
      const during = await ok("GET", `/v1/test_clocks/${clock.id}`);
      if (injected.crashed() && during.status === "ready" && during.frozen_time === "2026-05-01T00:00:00Z") {
        // Died before the advance was stored: the client saw an error and asks again.
        expect(answer).toBe("crashed");
        expect(
          (await ok("POST", `/v1/test_clocks/${clock.id}/advance`, { frozen_time: "2026-05-06T00:00:00Z" })).status,
        ).toBe("ready");
      } else if (injected.crashed() && answer !== "ready") {
        // The stored advance: visible, never waited for, and exclusive.
        expect(during.status).toBe("advancing");
        const second = await api("POST", `/v1/test_clocks/${clock.id}/advance`, {
          frozen_time: "2026-05-07T00:00:00Z",
        });
        expect([second.status, second.body.error.code]).toEqual([409, "clock_advancing"]);
        expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).not.toBeNull();
        expect(await runDurableObjectAlarm(stub)).toBe(true);
      }
      const after = await ok("GET", `/v1/test_clocks/${clock.id}`);
      expect([step, after.status, after.frozen_time]).toEqual([step, "ready", "2026-05-06T00:00:00Z"]);
      const invoices = await invoicesOf(sub.id);
      expect([step, invoices.map((i) => [i.period_start, i.status, i.amount_paid])]).toEqual([
        step,
        ["01", "02", "03", "04", "05", "06"].map((d) => [`2026-05-${d}T00:00:00Z`, "paid", 100]),
      ]);
      expect((await ok("GET", `/v1/subscriptions/${sub.id}`)).current_period_end).toBe("2026-05-07T00:00:00Z");
      if (!injected.crashed()) break;
    }
    // Crashed before the advance was stored, while it ran (progress), and before it was ready.
    expect(step).toBeGreaterThanOrEqual(2);
  });
});

describe("a crash of one subscription in the middle of a test clock step", () => {
  it("leaves the step to the clock's alarm, which renews and charges every subscription due then exactly once", async () => {
    const plan = await createPlan({ amount: 100, interval: "day" });
    let step = 0;
    for (; step < 12; step++) {
      const clock = await ok("POST", "/v1/test_clocks", { frozen_time: "2026-05-01T00:00:00Z" });
      const customer = await createCustomer({ test_clock: clock.id });
      const subs: { id: string }[] = [];
      for (let i = 0; i < 5; i++)
        subs.push(await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id }));
      const clockStub = env.TEST_CLOCKS.getByName(clock.id.slice(-16));
      // All five renew at 2026-05-02, in one step; the middle one dies after `step` commits of its own.
      const victimName = subs[2]!.id.slice(-16);
      const victim = env.SUBSCRIPTIONS.getByName(victimName);
      const injected = await crashAfterTransactions(victim, step);
      await callerSeesMemberDie(clockStub, victimName);
      const answer = await ok("POST", `/v1/test_clocks/${clock.id}/advance`, { frozen_time: "2026-05-02T12:00:00Z" });
      const crashed = injected.crashed();
      await restart(victim);
      await restart(clockStub);
      if (crashed) {
        // The step failed while the request waited: the advance stays stored for the alarm.
        expect([step, answer.status]).toEqual([step, "advancing"]);
        for (let run = 0; run < 3 && (await ok("GET", `/v1/test_clocks/${clock.id}`)).status !== "ready"; run++) {
          await runDurableObjectAlarm(clockStub);
        }
      }
      const after = await ok("GET", `/v1/test_clocks/${clock.id}`);
      expect([step, after.status, after.frozen_time]).toEqual([step, "ready", "2026-05-02T12:00:00Z"]);
      for (const sub of subs) {
        const invoices = await invoicesOf(sub.id);
        expect([step, sub.id, invoices.map((i) => [i.period_start, i.period_end, i.status, i.amount_paid])]).toEqual([
          step,
          sub.id,
          [
            ["2026-05-01T00:00:00Z", "2026-05-02T00:00:00Z", "paid", 100],
            ["2026-05-02T00:00:00Z", "2026-05-03T00:00:00Z", "paid", 100],
          ],
        ]);
        const payments = await paymentsOf(invoices[1].id);
        expect([step, sub.id, payments.map((p: any) => p.status)]).toEqual([step, sub.id, ["succeeded"]]);
      }
      if (!crashed) break;
    }
    // Crashed at the renewal's first commit and at least once later in it, then not at all.
    expect(step).toBeGreaterThanOrEqual(2);
  });
});

describe("a crash at every step of a change that invoices at once", () => {
  it("issues the change's invoice once and charges it once, from the alarm alone", async () => {
    const basic = await createPlan({ amount: 1000, interval: "month" });
    const pro = await createPlan({ amount: 3000, interval: "month" });
    let step = 0;
    for (; step < 12; step++) {
      const customer = await createCustomer();
      const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: basic.id });
      const stub = env.SUBSCRIPTIONS.getByName(sub.id.slice(-16));
      const injected = await crashAfterTransactions(stub, step);
      const answer = await runInDurableObject(stub, async (instance: SubscriptionActor) => {
        try {
          return (await instance.change(sub.id, { plan: pro.id, proration_behavior: "always_invoice" }, null)).status;
        } catch {
          return "crashed";
        }
      });
      await restart(stub);
      await expectAlarmForEarliestJob(stub);
      await runAlarmUntilSettled(stub);
      const state = await ok("GET", `/v1/subscriptions/${sub.id}`);
      const invoices = await invoicesOf(sub.id);
      if (state.plan === basic.id) {
        // Died before the change was committed: nothing changed, the client saw an error.
        expect([step, answer, invoices.length]).toEqual([step, "crashed", 1]);
        continue;
      }
      expect([
        step,
        invoices.map((i) => [i.billing_reason, i.status, i.attempt_count, i.amount_paid === i.amount_due]),
      ]).toEqual([
        step,
        [
          ["subscription_create", "paid", 1, true],
          ["subscription_update", "paid", 1, true],
        ],
      ]);
      if (!injected.crashed()) break;
    }
    expect(step).toBeGreaterThanOrEqual(2);
  });
});

describe("a crash at every step of a scheduled retry", () => {
  it("makes the attempt once and settles it once, from the alarm alone", async () => {
    const plan = await createPlan({ amount: 700, interval: "month" });
    let step = 0;
    for (; step < 12; step++) {
      const customer = await createCustomer();
      const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
      const stub = env.SUBSCRIPTIONS.getByName(sub.id.slice(-16));
      // A renewal invoice that failed once (declined card): its retry is due now.
      await ok("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_chargeDeclined" });
      const item = await ok("POST", `/v1/subscriptions/${sub.id}/invoice_items`, { amount: 500, description: "extra" });
      expect(item.amount).toBe(500);
      const invoice = await ok("POST", `/v1/subscriptions/${sub.id}/invoices`);
      expect([invoice.status, invoice.attempt_count]).toEqual(["open", 1]);
      // The card is fixed behind the API's back (a PATCH would retry at once, on request), in
      // the copy of the payment details that the subscription charges.
      await runInDurableObject(stub, (_i, state) => {
        state.storage.sql.exec("UPDATE subscription SET payment_method = 'pm_card_visa'");
      });
      await retryJobsDueNow(stub);
      const injected = await crashAfterTransactions(stub, step);
      await runDurableObjectAlarm(stub).catch(() => {});
      const crashed = injected.crashed();
      await restart(stub);
      await expectAlarmForEarliestJob(stub);
      await runAlarmUntilSettled(stub);
      const after = await ok("GET", `/v1/invoices/${invoice.id}`);
      expect([step, after.status, after.amount_paid, after.attempt_count]).toEqual([step, "paid", 500, 2]);
      const payments = await paymentsOf(invoice.id);
      expect(payments.filter((p: any) => p.status === "succeeded").length).toBe(1);
      expect(payments.some((p: any) => p.status === "pending")).toBe(false);
      if (!crashed) break;
    }
    expect(step).toBeGreaterThanOrEqual(1);
  });
});

/**
 * Where the process dies around a renewal's charge (schema v14: the renewal's transaction also
 * writes its invoice's pending payment, with the reconcile as that payment's `reconcile_at`).
 * The live instance's gateway is wrapped (as test/payments/actor-gateway.ts does) so that
 * every request reaching it is recorded, and from the crash point on every transaction throws,
 * as after SIGKILL. The restarted instance records its requests too.
 */
type Crash = "before the charge" | "after the charge, before its answer is written";

async function recordCharges(stub: DurableObjectStub, requests: ChargeRequest[], crash?: Crash): Promise<void> {
  await runInDurableObject(stub, (instance: SubscriptionActor, state) => {
    const held = instance as unknown as { config: Config };
    const real = held.config.gateway;
    let crashed = false;
    const storage = state.storage as DurableObjectStorage & { transactionSync<T>(fn: () => T): T };
    const commit = storage.transactionSync.bind(storage);
    storage.transactionSync = <T>(fn: () => T): T => {
      if (crashed) throw new Error(`crash injected ${crash}`);
      return commit(fn);
    };
    const gateway: PaymentGateway = {
      name: real.name,
      knowsPaymentMethod: async (token) => (await real.knowsPaymentMethod?.(token)) ?? true,
      refund: (request) => real.refund(request),
      charge: async (request) => {
        if (crash === "before the charge") {
          crashed = true;
          throw new Error("crash injected before the charge");
        }
        requests.push(request);
        const answer = await real.charge(request);
        if (crash) crashed = true;
        return answer;
      },
    };
    held.config = Object.freeze({ ...held.config, gateway });
  });
}

/**
 * What an issuing transaction leaves when the process dies around its first charge: the
 * attempt's pending payment with its reconcile 300 s on, and no retry or reconcile job row.
 */
async function expectPendingFirstAttempt(stub: DurableObjectStub, invoiceId: string): Promise<void> {
  const left = await runInDurableObject(stub, (_i, state) => ({
    payments: state.storage.sql
      .exec(
        "SELECT attempt, status, gateway_key, reconcile_at - created AS wait FROM payment WHERE invoice_id = ?",
        invoiceId,
      )
      .toArray(),
    jobs: state.storage.sql.exec("SELECT kind FROM job WHERE invoice_id = ?", invoiceId).toArray(),
  }));
  expect(left).toEqual({
    payments: [{ attempt: 1, status: "pending", gateway_key: `${invoiceId}:attempt:1`, wait: 300 }],
    jobs: [],
  });
}

/**
 * Every request the gateway saw for the invoice carried the one key and amount (the gateway
 * answers a repeat from its idempotency cache, so the card was charged once), and no reconcile
 * is left.
 */
async function expectChargedOnceUnderOneKey(
  stub: DurableObjectStub,
  requests: readonly ChargeRequest[],
  invoiceId: string,
  amount: number,
  crash: Crash,
): Promise<void> {
  const forInvoice = requests.filter((r) => r.invoiceId === invoiceId);
  expect(forInvoice.length).toBe(crash === "before the charge" ? 1 : 2);
  expect(new Set(forInvoice.map((r) => `${r.idempotencyKey} ${r.amount}`))).toEqual(
    new Set([`${invoiceId}:attempt:1 ${amount}`]),
  );
  const reconciles = await runInDurableObject(
    stub,
    (_i, state) => state.storage.sql.exec("SELECT COUNT(*) AS n FROM payment WHERE reconcile_at IS NOT NULL").one().n,
  );
  expect(reconciles).toBe(0);
}

describe.each<Crash>(["before the charge", "after the charge, before its answer is written"])(
  "a crash %s of a renewal",
  (crash) => {
    it("leaves a pending payment to its reconcile, which charges the invoice exactly once and settles it, from the alarm alone", async () => {
      const plan = await createPlan({ amount: 300, interval: "day" });
      const customer = await createCustomer();
      const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
      const stub = env.SUBSCRIPTIONS.getByName(sub.id.slice(-16));
      await backdateOneDay(stub);
      const requests: ChargeRequest[] = [];
      await recordCharges(stub, requests, crash);
      await runDurableObjectAlarm(stub).catch(() => {});
      await restart(stub);
      // What the renewal's one transaction left: the invoice, its first attempt counted, and the
      // attempt's pending payment with its reconcile.
      const [, renewal] = await invoicesOf(sub.id);
      await expectPendingFirstAttempt(stub, renewal.id);
      expect([renewal.status, renewal.attempt_count]).toEqual(["open", 1]);
      expect(requests.length).toBe(crash === "before the charge" ? 0 : 1);
      // The restart: no request, only the alarm (armed for the reconcile at the latest).
      await recordCharges(stub, requests);
      await expectAlarmForEarliestJob(stub);
      await runAlarmUntilSettled(stub);
      await runDurableObjectAlarm(stub); // once more: at-least-once alarms change nothing
      const invoices = await invoicesOf(sub.id);
      expect(invoices.map((i) => [i.billing_reason, i.status, i.amount_paid, i.attempt_count])).toEqual([
        ["subscription_create", "paid", 300, 1],
        ["subscription_cycle", "paid", 300, 1],
      ]);
      expect((await paymentsOf(renewal.id)).map((p: any) => [p.attempt, p.status, p.amount])).toEqual([
        [1, "succeeded", 300],
      ]);
      await expectChargedOnceUnderOneKey(stub, requests, renewal.id, 300, crash);
      await expectAlarmForEarliestJob(stub);
    });
  },
);

describe.each<Crash>(["before the charge", "after the charge, before its answer is written"])(
  "a crash %s of a create",
  (crash) => {
    it("leaves the first invoice's pending payment to its reconcile, which charges it exactly once and settles it, from the alarm alone", async () => {
      const plan = await createPlan({ amount: 1200, interval: "month" });
      const customer = await createCustomer({ payment_method: "pm_card_visa" });
      const name = await routingKeyFromIdempotencyKey("POST /v1/subscriptions", `crash-charge-${crypto.randomUUID()}`);
      const stub = env.SUBSCRIPTIONS.getByName(name);
      const requests: ChargeRequest[] = [];
      await recordCharges(stub, requests, crash);
      // The router's call, made inside the object so that the crash is caught here.
      const id = idWithRoutingKey("sub", Date.now(), name);
      const input = {
        customer: customer.id,
        plan: plan.id,
        quantity: 1,
        trialDays: null,
        billingCycleAnchor: null,
        metadata: {},
      };
      const created = await runInDurableObject(stub, async (instance: SubscriptionActor) => {
        try {
          return (await instance.create(id, input, null)).status;
        } catch {
          return "crashed";
        }
      });
      expect(created).toBe("crashed");
      await restart(stub);
      // What the start's one transaction left: the subscription as started (active until an
      // attempt fails: rule 9), its first invoice open with its first attempt counted, and the
      // attempt's pending payment with its reconcile.
      const [first] = await invoicesOf(id);
      await expectPendingFirstAttempt(stub, first.id);
      expect([first.status, first.attempt_count]).toEqual(["open", 1]);
      expect((await ok("GET", `/v1/subscriptions/${id}`)).latest_invoice).toBe(first.id);
      expect(requests.length).toBe(crash === "before the charge" ? 0 : 1);
      // The restart: no request, only the alarm (armed for the reconcile at the latest).
      await recordCharges(stub, requests);
      await expectAlarmForEarliestJob(stub);
      await runAlarmUntilSettled(stub);
      await runDurableObjectAlarm(stub); // once more: at-least-once alarms change nothing
      const invoices = await invoicesOf(id);
      expect(invoices.map((i) => [i.billing_reason, i.status, i.amount_paid, i.attempt_count])).toEqual([
        ["subscription_create", "paid", 1200, 1],
      ]);
      expect((await paymentsOf(first.id)).map((p: any) => [p.attempt, p.status, p.amount])).toEqual([
        [1, "succeeded", 1200],
      ]);
      expect((await ok("GET", `/v1/subscriptions/${id}`)).status).toBe("active");
      expect(requests.every((r) => r.invoiceId === first.id)).toBe(true);
      await expectChargedOnceUnderOneKey(stub, requests, first.id, 1200, crash);
      // The next renewal: armed.
      expect(await expectAlarmForEarliestJob(stub)).not.toBeNull();
    });
  },
);
