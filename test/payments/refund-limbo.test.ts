import { describe, expect, it } from "vitest";
import type { PaymentGateway, RefundRequest, RefundResult } from "../../src/payments/gateway";
import { advance, api, createClock, createCustomer, createPlan, ok } from "../helpers";
import { incompleteSubscription, pendingGateway, steerableGateway, useGateway } from "./actor-gateway";

const paymentsOf = async (invoiceId: string) => (await ok("GET", `/v1/invoices/${invoiceId}/payments`)).data as any[];

/** The steerable gateway, whose refunds Stripe refuses for good (the charge is disputed). */
function refusingGateway() {
  const gateway = steerableGateway("pending");
  const tries: RefundRequest[] = [];
  const refusing: PaymentGateway & typeof gateway & { tries: RefundRequest[] } = Object.assign(gateway, {
    tries,
    async refund(request: RefundRequest): Promise<RefundResult> {
      tries.push(request);
      return { status: "refused", code: "charge_disputed", message: "The charge is disputed and cannot be refunded." };
    },
  });
  return refusing;
}

describe("a refund the gateway refuses for good", () => {
  it("is tried three times, 300 s apart, then shows failed with the gateway's reason and records payment.refund_failed", async () => {
    const { invoice, subscription, clock } = await incompleteSubscription("2026-03-01T00:00:00Z");
    const gateway = refusingGateway();
    await useGateway(subscription.id, gateway);
    // A /pay at 22:58 stays pending; the first invoice expires (void) at 23:00; the success comes after.
    await advance(clock.id, "2026-03-01T22:58:00Z");
    await ok("POST", `/v1/invoices/${invoice.id}/pay`, {});
    await advance(clock.id, "2026-03-01T23:01:00Z");
    gateway.answer = "succeeded";
    // The reconcile at 23:03 hears the success: refund tried at 23:03, refused, again at 23:08.
    await advance(clock.id, "2026-03-01T23:10:00Z");
    expect(gateway.tries).toHaveLength(2);
    expect((await paymentsOf(invoice.id)).at(-1)).toMatchObject({ status: "refunded", refund_status: "pending" });

    await advance(clock.id, "2026-03-01T23:30:00Z");
    expect(gateway.tries.map((t) => t.idempotencyKey)).toEqual(Array(3).fill(`${invoice.id}:attempt:2:refund`));
    const refunded = (await paymentsOf(invoice.id)).at(-1);
    expect(refunded).toMatchObject({
      status: "refunded",
      refund_status: "failed",
      refund_failure_code: "charge_disputed",
      refund_failure_message: "The charge is disputed and cannot be refunded.",
    });
    const events = (await ok("GET", `/v1/subscriptions/${subscription.id}/events?limit=100`)).data as any[];
    const failed = events.filter((e) => e.type === "payment.refund_failed");
    expect(failed.map((e) => [e.data.object.id, e.data.object.refund_status])).toEqual([[refunded.id, "failed"]]);

    // Then it is left alone: days later, no more tries and no more events.
    await advance(clock.id, "2026-03-03T00:00:00Z");
    expect(gateway.tries).toHaveLength(3);
    const later = (await ok("GET", `/v1/subscriptions/${subscription.id}/events?limit=100`)).data as any[];
    expect(later.filter((e) => e.type === "payment.refund_failed")).toHaveLength(1);
  });
});

describe("an attempt still pending 23 hours after it was made", () => {
  it("is flagged as needing attention once (payment.needs_attention) and no longer holds its invoice", async () => {
    const clock = await createClock("2026-03-01T00:00:00Z");
    const customer = await createCustomer({ test_clock: clock.id });
    const plan = await createPlan({ amount: 2500 });
    const subscription = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    expect(subscription.status).toBe("active");
    const gateway = pendingGateway();
    await useGateway(subscription.id, gateway);
    // The renewal's attempt stays pending at the gateway (Stripe `processing`) and no webhook comes.
    await advance(clock.id, "2026-04-01T00:10:00Z");
    const renewal = await ok(
      "GET",
      `/v1/invoices/${(await ok("GET", `/v1/subscriptions/${subscription.id}`)).latest_invoice}`,
    );
    expect((await paymentsOf(renewal.id)).map((p) => [p.status, p.needs_attention])).toEqual([["pending", false]]);
    const held = await api("POST", `/v1/invoices/${renewal.id}/payments`, { amount: 2500, reference: "wire-1" });
    expect([held.status, held.body.error.code]).toEqual([409, "payment_pending"]);

    await advance(clock.id, "2026-04-02T00:00:00Z");
    const [flagged] = await paymentsOf(renewal.id);
    expect([flagged.status, flagged.needs_attention]).toEqual(["pending", true]);
    // Its reconcile (the payment's `reconcile_at`) asked again every 300 s with the first
    // request's key, and stopped before 23 h: the first request at 00:00, then 00:05 … 22:55.
    const asked = 1 + Math.floor((23 * 3_600 - 1) / 300);
    expect(gateway.keys).toEqual(Array(asked).fill(`${renewal.id}:attempt:1`));
    const events = (await ok("GET", `/v1/subscriptions/${subscription.id}/events?limit=100`)).data as any[];
    expect(events.filter((e) => e.type === "payment.needs_attention").map((e) => e.data.object.id)).toEqual([
      flagged.id,
    ]);

    // No longer silently blocking: the operator records the money that came another way.
    const manual = await api("POST", `/v1/invoices/${renewal.id}/payments`, { amount: 2500, reference: "wire-1" });
    expect(manual.status).toBe(201);
    expect(await ok("GET", `/v1/invoices/${renewal.id}`)).toMatchObject({ status: "paid", amount_paid: 2500 });
    await advance(clock.id, "2026-04-03T00:00:00Z");
    const after = (await ok("GET", `/v1/subscriptions/${subscription.id}/events?limit=100`)).data as any[];
    expect(after.filter((e) => e.type === "payment.needs_attention")).toHaveLength(1);
    expect(gateway.keys).toHaveLength(asked);
  });
});
