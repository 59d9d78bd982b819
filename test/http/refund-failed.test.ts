/**
 * No refund left in limbo, over real HTTP: a service charging through the fake Stripe, a first
 * invoice whose attempt stays `processing` until the invoice expires, then Stripe's signed
 * `payment_intent.succeeded` for it. The late success is refunded (the invoice is closed), and
 * Stripe refuses that refund for good (the fake's intent never succeeded: charge_not_refundable):
 * three tries five minutes apart, then the payment shows the refund failed with Stripe's reason,
 * and `payment.refund_failed` is recorded.
 */
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Service } from "../../scripts/service.mjs";
import { startService } from "../../scripts/service.mjs";

const WEBHOOK_SECRET = "whsec_refund_failed_test";
let service: Service;
let stripe = "";

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: {
      authorization: "Bearer sk_test_local",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

async function must(method: string, path: string, body?: unknown) {
  const response = await call(method, path, body);
  if (response.status >= 300)
    throw new Error(`${method} ${path} → ${response.status} ${JSON.stringify(response.json)}`);
  return response.json;
}

async function advance(clock: string, to: string) {
  let state = await must("POST", `/v1/test_clocks/${clock}/advance`, { frozen_time: to });
  while (state.status === "advancing") {
    await new Promise((resolve) => setTimeout(resolve, 200));
    state = await must("GET", `/v1/test_clocks/${clock}`);
  }
}

/** The fake Stripe's PaymentIntent made under `key` (a pending payment shows no reference yet). */
async function intentFor(key: string): Promise<Record<string, any>> {
  for (let n = 1; n <= 100; n++) {
    const response = await fetch(`${stripe}/v1/payment_intents/pi_fake_${n}`, {
      headers: { authorization: "Bearer sk_test_fake_refunds" },
    });
    if (response.status === 404) continue;
    const intent = (await response.json()) as Record<string, any>;
    if (intent.metadata?.billify_key === key) return intent;
  }
  const seen = await (await fetch(`${stripe}/__requests`)).text();
  throw new Error(`no PaymentIntent under ${key} at the fake Stripe: ${seen.slice(0, 1500)}`);
}

beforeAll(async () => {
  stripe = `http://127.0.0.1:${inject("stripePort")}`;
  service = await startService({
    vars: { STRIPE_SECRET_KEY: "sk_test_fake_refunds", STRIPE_API_BASE: stripe, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET },
  });
});
afterAll(async () => {
  await service?.stop();
});

describe("a refund Stripe refuses for good, over real HTTP", () => {
  it("ends failed with Stripe's reason after three tries, and records payment.refund_failed", async () => {
    const clock = await must("POST", "/v1/test_clocks", { frozen_time: "2026-03-01T00:00:00Z" });
    const customer = await must("POST", "/v1/customers", {
      email: "limbo@example.com",
      payment_method: "pm_card_processing",
      test_clock: clock.id,
    });
    const plan = await must("POST", "/v1/plans", { name: "Limbo", currency: "usd", amount: 2500, interval: "month" });
    const subscription = await must("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    const invoiceId = subscription.latest_invoice;
    const [attempt] = (await must("GET", `/v1/invoices/${invoiceId}/payments`)).data;
    expect(attempt).toMatchObject({ status: "pending", method: "card", needs_attention: false });
    // While Stripe says `processing`, the attempt holds its invoice.
    expect((await call("POST", `/v1/invoices/${invoiceId}/void`)).json.error.code).toBe("payment_pending");

    // 23 h later Stripe still says `processing`: the attempt is flagged and holds nothing; the operator voids.
    await advance(clock.id, "2026-03-01T23:30:00Z");
    const [stale] = (await must("GET", `/v1/invoices/${invoiceId}/payments`)).data;
    expect([stale.status, stale.needs_attention]).toEqual(["pending", true]);
    expect((await must("POST", `/v1/invoices/${invoiceId}/void`)).status).toBe("void");

    // Then Stripe reports the success (signed as Stripe signs), for an invoice already closed.
    const intent = await intentFor(`${invoiceId}:attempt:1`);
    expect(intent.status).toBe("processing");
    const event = JSON.stringify({
      id: `evt_${Date.now()}`,
      object: "event",
      type: "payment_intent.succeeded",
      data: { object: { ...intent, status: "succeeded" } },
    });
    const t = Math.floor(Date.now() / 1000);
    const signature = createHmac("sha256", WEBHOOK_SECRET).update(`${t}.${event}`).digest("hex");
    const delivered = await call("POST", "/v1/gateway/stripe/webhook", event, {
      "stripe-signature": `t=${t},v1=${signature}`,
    });
    expect([delivered.status, delivered.json]).toEqual([200, { received: true, applied: true }]);

    // The refund is tried (Stripe refuses: the intent never succeeded there), 5 and 10 minutes later again.
    await advance(clock.id, "2026-03-01T23:50:00Z");
    const [payment] = (await must("GET", `/v1/invoices/${invoiceId}/payments`)).data;
    expect(payment).toMatchObject({
      id: attempt.id,
      status: "refunded",
      refund_status: "failed",
      refund_failure_code: "charge_not_refundable",
      refund_failure_message: "This PaymentIntent has not succeeded.",
    });
    const recorded = (await (await fetch(`${stripe}/__requests`)).json()) as { requests: any[] };
    const refundTries = recorded.requests.filter(
      (r: { method: string; path: string; idempotencyKey: string }) =>
        r.method === "POST" && r.path === "/v1/refunds" && r.idempotencyKey === `${invoiceId}:attempt:1:refund`,
    );
    expect(refundTries).toHaveLength(3);
    const events = (await must("GET", `/v1/subscriptions/${subscription.id}/events?limit=100`)).data;
    expect(
      events
        .filter((e: { type: string }) => e.type === "payment.refund_failed")
        .map((e: { data: { object: { id: string } } }) => e.data.object.id),
    ).toEqual([attempt.id]);
  });
});
