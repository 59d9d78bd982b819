import { describe, expect, it } from "vitest";
import type { PaymentGateway, RefundRequest, RefundResult } from "../../src/payments/gateway";
import { advance, ok } from "../helpers";
import { incompleteSubscription, steerableGateway, useGateway } from "./actor-gateway";

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
