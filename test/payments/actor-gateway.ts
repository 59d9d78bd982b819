import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { Config } from "../../src/actors/config";
import { subscriptionStub } from "../../src/actors/stubs";
import type { SubscriptionActor } from "../../src/actors/subscription/subscription-actor";
import type {
  ChargeRequest,
  ChargeResult,
  PaymentGateway,
  RefundRequest,
  RefundResult,
} from "../../src/payments/gateway";
import { createClock, createCustomer, createPlan, ok } from "../helpers";

/**
 * Points one subscription's actor at another gateway. The test bindings select the fake
 * gateway for every actor, and Stripe paths need a pending attempt or the Stripe gateway on a
 * real subscription; this replaces the (frozen) configuration the live instance loaded with a
 * copy naming `gateway`. Production code has no hook for it: the test reaches into the instance.
 */
export async function useGateway(subscriptionId: string, gateway: PaymentGateway): Promise<void> {
  const stub = subscriptionStub(env, subscriptionId)!;
  await runInDurableObject(stub, (instance: SubscriptionActor) => {
    const held = instance as unknown as { config?: Config };
    if (!held.config?.gateway)
      throw new Error("SubscriptionActor no longer keeps its configuration at this.config; update useGateway");
    held.config = Object.freeze({ ...held.config, gateway });
  });
}

/**
 * A subscription on a test clock whose first invoice failed (`incomplete`, invoice open), so a
 * later attempt can be steered through `useGateway`.
 */
export async function incompleteSubscription(start = "2026-03-01T00:00:00Z") {
  const clock = await createClock(start);
  const customer = await createCustomer({ test_clock: clock.id, payment_method: "pm_card_chargeDeclined" });
  const plan = await createPlan({ amount: 2500 });
  const subscription = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
  expect(subscription.status).toBe("incomplete");
  const invoice = await ok("GET", `/v1/invoices/${subscription.latest_invoice}`);
  expect(invoice.status).toBe("open");
  return { clock, customer, subscription, invoice };
}

/** A gateway that answers every charge `pending` (as Stripe does for `processing`), recording the keys. */
export function pendingGateway(): PaymentGateway & { keys: string[] } {
  const keys: string[] = [];
  return {
    name: "pending-test",
    keys,
    async charge(request) {
      keys.push(request.idempotencyKey);
      return { status: "pending", reference: `pi_pending_${keys.length}` };
    },
    async refund(request) {
      return { status: "succeeded", reference: `re_${request.idempotencyKey}` };
    },
  };
}

/**
 * A gateway whose answer the test sets (`answer`): every charge answers it, with the same
 * reference for the same key, as Stripe does; refunds are recorded.
 */
export function steerableGateway(answer: ChargeResult["status"] = "pending"): PaymentGateway & {
  answer: ChargeResult["status"];
  charges: ChargeRequest[];
  refunds: RefundRequest[];
} {
  const gateway = {
    name: "steerable-test",
    answer,
    charges: [] as ChargeRequest[],
    refunds: [] as RefundRequest[],
    async charge(request: ChargeRequest): Promise<ChargeResult> {
      gateway.charges.push(request);
      const reference = `pi_${request.idempotencyKey}`;
      if (gateway.answer === "failed")
        return { status: "failed", code: "card_declined", message: "Your card was declined.", reference };
      return { status: gateway.answer, reference };
    },
    async refund(request: RefundRequest): Promise<RefundResult> {
      gateway.refunds.push(request);
      return { status: "succeeded", reference: `re_${request.idempotencyKey}` };
    },
  };
  return gateway;
}
