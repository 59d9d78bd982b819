import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { CouponActor } from "../../src/actors/coupon/coupon-actor";
import type { SubscriptionActor } from "../../src/actors/subscription/subscription-actor";
import { couponActorName, idWithRoutingKey, routingKeyFromIdempotencyKey } from "../../src/lib/ids";
import { crashAfterTransactions } from "../crash";
import { api, createCustomer, createPlan, ok } from "../helpers";

// Rule 13a's counting: concurrent redemptions never pass max_redemptions, replays and refusals
// count nothing, and a crash between the coupon's count and the subscription's write loses
// nothing: the coupon's alarm asks the subscription and confirms or releases the reservation.

async function couponActor(couponId: string) {
  return env.COUPONS.getByName((await couponActorName(couponId))!);
}

/** Makes every reservation old enough for the coupon's alarm to ask about it, then runs the alarm. */
async function settleReservations(couponId: string): Promise<void> {
  const stub = await couponActor(couponId);
  await runInDurableObject(stub, (_i, state) => {
    state.storage.sql.exec("UPDATE redemption SET reserved_ms = reserved_ms - 60000");
  });
  await runDurableObjectAlarm(stub);
}

const statuses = async (couponId: string) =>
  runInDurableObject(await couponActor(couponId), (_i, state) =>
    state.storage.sql
      .exec<{ status: string }>("SELECT status FROM redemption ORDER BY key")
      .toArray()
      .map((r) => r.status),
  );

describe("redemptions of a coupon (rule 13a)", () => {
  it("lets exactly 5 of 50 simultaneous redemptions through a coupon limited to 5", async () => {
    const coupon = await ok("POST", "/v1/coupons", { percent_off: 10, max_redemptions: 5 });
    const plan = await createPlan({ amount: 1000 });
    const customer = await createCustomer();
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        api("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id, coupon: coupon.id }),
      ),
    );
    const codes = results.map((r) => r.status);
    expect(codes.filter((s) => s === 201).length).toBe(5);
    expect(codes.filter((s) => s === 400).length).toBe(45);
    expect(results.find((r) => r.status === 400)!.body.error).toMatchObject({
      code: "coupon_invalid",
      param: "coupon",
    });
    expect(await ok("GET", `/v1/coupons/${coupon.id}`)).toMatchObject({ times_redeemed: 5, valid: false });
    expect(await statuses(coupon.id)).toEqual(["confirmed", "confirmed", "confirmed", "confirmed", "confirmed"]);
  });

  it("counts an idempotent replay once", async () => {
    const coupon = await ok("POST", "/v1/coupons", { percent_off: 10 });
    const plan = await createPlan({ amount: 1000 });
    const customer = await createCustomer();
    const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    const key = { "Idempotency-Key": `discount-${crypto.randomUUID()}` };
    const first = await api("POST", `/v1/subscriptions/${sub.id}/discount`, { coupon: coupon.id }, { headers: key });
    const replay = await api("POST", `/v1/subscriptions/${sub.id}/discount`, { coupon: coupon.id }, { headers: key });
    expect([first.status, replay.status, replay.headers.get("Idempotent-Replayed")]).toEqual([200, 200, "true"]);
    expect((await ok("GET", `/v1/coupons/${coupon.id}`)).times_redeemed).toBe(1);
  });

  it("releases a reservation whose subscription crashed before writing the discount", async () => {
    const coupon = await ok("POST", "/v1/coupons", { percent_off: 10, max_redemptions: 1 });
    const plan = await createPlan({ amount: 1000 });
    const customer = await createCustomer();
    const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    const subscription = env.SUBSCRIPTIONS.getByName(sub.id.slice(-16));
    await crashAfterTransactions(subscription, 0);
    // The router's call, made inside the object so that the crash is caught here.
    const crashed = runInDurableObject(subscription, (instance: SubscriptionActor) =>
      instance.applyDiscount(sub.id, { coupon: coupon.id }, null),
    );
    await expect(crashed).rejects.toThrow("crash injected");
    // Counted while in doubt: the limit holds.
    expect(await ok("GET", `/v1/coupons/${coupon.id}`)).toMatchObject({ times_redeemed: 1, valid: false });
    await evictDurableObject(subscription).catch(() => {});
    await settleReservations(coupon.id);
    expect(await statuses(coupon.id)).toEqual(["released"]);
    expect(await ok("GET", `/v1/coupons/${coupon.id}`)).toMatchObject({ times_redeemed: 0, valid: true });
    expect((await ok("GET", `/v1/subscriptions/${sub.id}`)).discount).toBeNull();
    // The coupon can be redeemed again.
    const applied = await ok("POST", `/v1/subscriptions/${sub.id}/discount`, { coupon: coupon.id });
    expect(applied.discount.coupon.id).toBe(coupon.id);
  });

  it("confirms a reservation whose confirmation was lost after the subscription wrote the discount", async () => {
    const coupon = await ok("POST", "/v1/coupons", { percent_off: 10 });
    const plan = await createPlan({ amount: 1000 });
    const customer = await createCustomer();
    const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    const stub = await couponActor(coupon.id);
    // The reservation commits; the confirmation is lost (its write never happens).
    await runInDurableObject(stub, (instance: CouponActor) => {
      const live = instance as unknown as { transaction<T>(fn: () => T): T };
      const real = live.transaction.bind(instance);
      let writes = 0;
      live.transaction = <T>(fn: () => T): T => (writes++ === 0 ? real(fn) : (undefined as T));
    });
    const applied = await ok("POST", `/v1/subscriptions/${sub.id}/discount`, { coupon: coupon.id });
    expect(applied.discount.coupon.id).toBe(coupon.id);
    await evictDurableObject(stub).catch(() => {});
    expect(await statuses(coupon.id)).toEqual(["reserved"]);
    await settleReservations(coupon.id);
    expect(await statuses(coupon.id)).toEqual(["confirmed"]);
    expect((await ok("GET", `/v1/coupons/${coupon.id}`)).times_redeemed).toBe(1);
  });

  it("counts once a create with a coupon that crashed before its write and was retried with its Idempotency-Key", async () => {
    const coupon = await ok("POST", "/v1/coupons", { percent_off: 20, max_redemptions: 1 });
    const plan = await createPlan({ amount: 1000 });
    const customer = await createCustomer();
    const key = `coupon-create-${crypto.randomUUID()}`;
    const name = await routingKeyFromIdempotencyKey("POST /v1/subscriptions", key);
    const subscription = env.SUBSCRIPTIONS.getByName(name);
    await crashAfterTransactions(subscription, 0);
    const id = idWithRoutingKey("sub", Date.now(), name);
    const input = {
      customer: customer.id,
      plan: plan.id,
      quantity: 1,
      trialDays: null,
      billingCycleAnchor: null,
      metadata: {},
      coupon: coupon.id,
    };
    const idem = { key, fingerprint: "f", nowMs: Date.now() };
    const crashed = runInDurableObject(subscription, (instance: SubscriptionActor) => instance.create(id, input, idem));
    await expect(crashed).rejects.toThrow("crash injected");
    expect(await statuses(coupon.id)).toEqual(["reserved"]);
    await evictDurableObject(subscription).catch(() => {});
    // The retry reserves the same redemption (same key): the limit of 1 does not refuse it.
    const retried = await runInDurableObject(subscription, (instance: SubscriptionActor) =>
      instance.create(id, input, idem),
    );
    expect(retried).toMatchObject({ ok: true, status: 201 });
    expect(await statuses(coupon.id)).toEqual(["confirmed"]);
    const invoices = await ok("GET", `/v1/subscriptions/${id}/invoices`);
    expect(invoices.data[0]).toMatchObject({ subtotal: 1000, total: 800 });
    expect(await ok("GET", `/v1/coupons/${coupon.id}`)).toMatchObject({ times_redeemed: 1, valid: false });
  });
});
