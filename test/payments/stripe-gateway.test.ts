import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { loadConfig } from "../../src/actors/config";
import type { ChargeRequest } from "../../src/payments/gateway";
import { failureCode, StripeGateway } from "../../src/payments/stripe-gateway";
import type { RecordedRequest } from "../global-setup/fake-stripe";
import { advance, ok, paymentsOf } from "../helpers";
import { incompleteSubscription, useGateway } from "./actor-gateway";

/** The fake Stripe of test/global-setup/fake-stripe.ts, on 127.0.0.1: never the internet. */
const port = inject("stripePort");
if (!port)
  throw new Error(
    "inject('stripePort') is unset: this vitest project needs globalSetup ./test/global-setup/fake-stripe.ts",
  );
const base = `http://127.0.0.1:${port}`;

async function control(path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${base}${path}`, { method: "POST", body: JSON.stringify(body ?? {}) });
  expect(response.status).toBe(200);
}

async function recorded(): Promise<{ requests: RecordedRequest[]; charges: number }> {
  return (await fetch(`${base}/__requests`)).json();
}

let counter = 0;
function request(fields: Partial<ChargeRequest> = {}): ChargeRequest {
  counter += 1;
  const invoiceId = `in_01KTESTGATEWAY${String(counter).padStart(12, "0")}`;
  return {
    invoiceId,
    customerId: "cus_01KTESTGATEWAYCUSTOMER0001",
    paymentMethod: "pm_card_visa",
    gatewayCustomer: null,
    amount: 2000,
    currency: "usd",
    idempotencyKey: `${invoiceId}:attempt:1`,
    ...fields,
  };
}

/** No SDK-side retries, so one call is one HTTP request (unless a test says otherwise). */
const gateway = (maxNetworkRetries = 0) =>
  new StripeGateway("sk_test_billify", base, { maxNetworkRetries, timeoutMs: 5_000 });

beforeEach(async () => {
  await control("/__reset");
});

describe("StripeGateway.charge", () => {
  it("creates one confirmed, off-session PaymentIntent with the attempt's key and metadata", async () => {
    const charge = request({ amount: 2599, currency: "eur" });
    const result = await gateway().charge(charge);
    expect(result).toEqual({ status: "succeeded", reference: expect.stringMatching(/^pi_fake_/) });

    const { requests, charges } = await recorded();
    expect(charges).toBe(1);
    expect(requests).toHaveLength(1);
    const [sent] = requests;
    expect(sent).toMatchObject({
      method: "POST",
      path: "/v1/payment_intents",
      idempotencyKey: charge.idempotencyKey,
      authorization: "Bearer sk_test_billify",
    });
    expect(sent!.form).toEqual({
      amount: "2599",
      currency: "eur",
      payment_method: "pm_card_visa",
      "allowed_payment_method_types[0]": "card",
      confirm: "true",
      off_session: "true",
      description: `Billify invoice ${charge.invoiceId}`,
      "metadata[billify_invoice]": charge.invoiceId,
      "metadata[billify_key]": charge.idempotencyKey,
      "metadata[billify_customer]": charge.customerId,
    });
  });

  it("sends the Stripe customer with the payment method when the customer has one", async () => {
    await gateway().charge(request({ gatewayCustomer: "cus_StripeAbc" }));
    const { requests } = await recorded();
    expect(requests[0]!.form).toMatchObject({
      customer: "cus_StripeAbc",
      payment_method: "pm_card_visa",
      off_session: "true",
    });
  });

  it("maps a generic decline to card_declined, with Stripe's message and the PaymentIntent id", async () => {
    const result = await gateway().charge(request({ paymentMethod: "pm_card_chargeDeclined" }));
    expect(result).toEqual({
      status: "failed",
      code: "card_declined",
      message: "Your card was declined.",
      reference: expect.stringMatching(/^pi_fake_/),
    });
  });

  it("maps an issuer's specific decline code (insufficient_funds)", async () => {
    const result = await gateway().charge(request({ paymentMethod: "pm_card_chargeDeclinedInsufficientFunds" }));
    expect(result).toMatchObject({
      status: "failed",
      code: "insufficient_funds",
      message: "Your card has insufficient funds.",
    });
  });

  it("fails no_payment_method without calling Stripe", async () => {
    const result = await gateway().charge(request({ paymentMethod: null }));
    expect(result).toEqual({
      status: "failed",
      code: "no_payment_method",
      message: "The customer has no payment method.",
      reference: null,
    });
    expect((await recorded()).requests).toHaveLength(0);
  });

  it("fails a payment method Stripe does not know (a permanent 400, not a fault to retry)", async () => {
    const result = await gateway().charge(request({ paymentMethod: "pm_nonsense" }));
    expect(result).toEqual({
      status: "failed",
      code: "resource_missing",
      message: "No such PaymentMethod: 'pm_nonsense'",
      reference: null,
    });
  });

  it("leaves a processing intent pending, and a later call with the same key reads its current state", async () => {
    const charge = request({ paymentMethod: "pm_card_processing" });
    const first = await gateway().charge(charge);
    expect(first).toEqual({ status: "pending", reference: expect.stringMatching(/^pi_fake_/) });

    await control(`/__intents/${first.reference}`, { status: "succeeded" });
    // The create is replayed from Stripe's idempotency cache (still "processing"); the gateway
    // then retrieves the intent, so a reconcile learns the outcome without a second charge.
    const later = await gateway().charge(charge);
    expect(later).toEqual({ status: "succeeded", reference: first.reference });
    const { requests, charges } = await recorded();
    expect(charges).toBe(1);
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /v1/payment_intents",
      `GET /v1/payment_intents/${first.reference}`,
      "POST /v1/payment_intents",
      `GET /v1/payment_intents/${first.reference}`,
    ]);
  });
});

describe("StripeGateway.refund", () => {
  it("refunds the PaymentIntent under the payment's key, once however often it is asked", async () => {
    const charge = request({ amount: 1200 });
    const charged = await gateway().charge(charge);
    expect(charged.status).toBe("succeeded");
    const refund = {
      invoiceId: charge.invoiceId,
      chargeReference: charged.reference!,
      amount: 1200,
      currency: "usd",
      idempotencyKey: `${charge.idempotencyKey}:refund`,
    };
    const first = await gateway().refund(refund);
    expect(first).toEqual({ status: "succeeded", reference: expect.stringMatching(/^re_fake_/) });
    const again = await gateway().refund(refund);
    expect(again).toEqual(first);
    const { requests, refunds } = (await recorded()) as Awaited<ReturnType<typeof recorded>> & { refunds: number };
    expect(refunds).toBe(1);
    const sent = requests.filter((r) => r.path === "/v1/refunds");
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatchObject({ method: "POST", idempotencyKey: refund.idempotencyKey });
    expect(sent[0]!.form).toEqual({
      payment_intent: charged.reference,
      amount: "1200",
      reason: "duplicate",
      "metadata[billify_invoice]": charge.invoiceId,
      "metadata[billify_key]": refund.idempotencyKey,
    });
  });

  it("answers refused, with Stripe's code, when Stripe says no for good (an intent that never succeeded)", async () => {
    const charge = request({ paymentMethod: "pm_card_processing" });
    const pending = await gateway().charge(charge);
    await expect(
      gateway().refund({
        invoiceId: charge.invoiceId,
        chargeReference: pending.reference!,
        amount: 2000,
        currency: "usd",
        idempotencyKey: "k:refund",
      }),
    ).resolves.toEqual({
      status: "refused",
      code: "charge_not_refundable",
      message: expect.stringMatching(/not succeeded/),
    });
  });
});

describe("StripeGateway.knowsPaymentMethod (a token is refused when it is set, not at the next renewal)", () => {
  it("knows what Stripe has, refuses what Stripe says does not exist", async () => {
    expect(await gateway().knowsPaymentMethod("pm_card_visa")).toBe(true);
    expect(await gateway().knowsPaymentMethod("pm_nonsense")).toBe(false);
    const asked = (await recorded()).requests.map((r) => `${r.method} ${r.path}`);
    expect(asked).toEqual(["GET /v1/payment_methods/pm_card_visa", "GET /v1/payment_methods/pm_nonsense"]);
  });

  it("accepts the token when Stripe cannot be reached (the charge will tell)", async () => {
    const fetch = vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("Network connection lost."));
    try {
      expect(await gateway().knowsPaymentMethod("pm_anything")).toBe(true);
    } finally {
      fetch.mockRestore();
    }
  });
});

describe("faults: thrown, then reconciled under the same key", () => {
  it("a 500 after Stripe charged throws; the retry with the same key is answered from the cache, charging once", async () => {
    const charge = request();
    await control("/__faults", { faults: [{ status: 500, after_charge: true }] });
    await expect(gateway().charge(charge)).rejects.toThrow();
    expect((await recorded()).charges).toBe(1);

    // What the actor's reconcile job does: ask again with the same request and key.
    const reconciled = await gateway().charge(charge);
    expect(reconciled).toEqual({ status: "succeeded", reference: expect.stringMatching(/^pi_fake_/) });
    const { requests, charges } = await recorded();
    expect(charges).toBe(1);
    expect(requests.map((r) => r.idempotencyKey)).toEqual([charge.idempotencyKey, charge.idempotencyKey]);
  });

  it("with SDK retries on, the same fault is absorbed inside one call, still charging once", async () => {
    const charge = request();
    await control("/__faults", { faults: [{ status: 500, after_charge: true }] });
    const result = await gateway(1).charge(charge);
    expect(result.status).toBe("succeeded");
    const { requests, charges } = await recorded();
    expect(charges).toBe(1);
    expect(requests.map((r) => r.idempotencyKey)).toEqual([charge.idempotencyKey, charge.idempotencyKey]);
  });

  it("throws on a 5xx before charging and on a rate limit; the next call charges exactly once", async () => {
    const charge = request();
    await control("/__faults", { faults: [{ status: 503 }, { status: 429 }] });
    await expect(gateway().charge(charge)).rejects.toThrow();
    await expect(gateway().charge(charge)).rejects.toThrow(/Simulated fault/);
    expect((await recorded()).charges).toBe(0);
    expect(await gateway().charge(charge)).toMatchObject({ status: "succeeded" });
    expect((await recorded()).charges).toBe(1);
  });

  it("throws when Stripe cannot be reached", async () => {
    // The network fails as fetch does when nothing listens (a real refused port makes workerd log an uncaught exception).
    const fetch = vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("Network connection lost."));
    try {
      const unreachable = new StripeGateway("sk_test_billify", "http://127.0.0.1:9", {
        maxNetworkRetries: 0,
        timeoutMs: 2_000,
      });
      await expect(unreachable.charge(request())).rejects.toThrow();
      expect(fetch).toHaveBeenCalledTimes(1);
    } finally {
      fetch.mockRestore();
    }
  });

  it("throws on an idempotency conflict (same key, other parameters) rather than guessing", async () => {
    const charge = request();
    await gateway().charge(charge);
    await expect(gateway().charge({ ...charge, amount: charge.amount + 1 })).rejects.toThrow(/same parameters/);
    expect((await recorded()).charges).toBe(1);
  });
});

describe("through the subscription actor", () => {
  // A lost gateway answer is logged by the actor (it will reconcile): expected here, so kept out of the test output.
  let warned: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    warned = vi.spyOn(console, "warn").mockImplementation(() => {});
  });
  afterEach(() => warned.mockRestore());

  it("a charge whose response is lost stays pending; the reconcile job settles it without charging again", async () => {
    const { clock, customer, subscription, invoice } = await incompleteSubscription("2026-03-01T00:00:00Z");
    await useGateway(subscription.id, gateway());
    await control("/__faults", { faults: [{ status: 500, after_charge: true }] });

    // A new payment method retries the open invoice at once: Stripe charges, the answer is lost.
    await ok("PATCH", `/v1/customers/${customer.id}`, {
      payment_method: "pm_card_visa",
      metadata: { stripe_customer: "cus_StripeAda" },
    });
    const statuses = async () => (await paymentsOf(invoice.id)).map((p: { status: string }) => p.status);
    expect(await statuses()).toEqual(["failed", "pending"]);
    expect((await ok("GET", `/v1/invoices/${invoice.id}`)).status).toBe("open");
    expect((await recorded()).charges).toBe(1);

    // The reconcile job (5 minutes later) asks again under the same key: answered from the cache.
    await advance(clock.id, "2026-03-01T00:10:00Z");
    expect(await statuses()).toEqual(["failed", "succeeded"]);
    expect((await ok("GET", `/v1/invoices/${invoice.id}`)).status).toBe("paid");
    expect((await ok("GET", `/v1/subscriptions/${subscription.id}`)).status).toBe("active");
    const { requests, charges } = await recorded();
    expect(charges).toBe(1);
    const key = `${invoice.id}:attempt:2`;
    // The reconcile resends exactly the first request, Stripe customer included.
    expect(
      requests.map((r) => [r.path, r.idempotencyKey, r.form["metadata[billify_key]"], r.form.amount, r.form.customer]),
    ).toEqual([
      ["/v1/payment_intents", key, key, "2500", "cus_StripeAda"],
      ["/v1/payment_intents", key, key, "2500", "cus_StripeAda"],
    ]);
  });
});

describe("configuration", () => {
  it("STRIPE_SECRET_KEY selects the Stripe gateway, pointed at STRIPE_API_BASE", async () => {
    const { gateway: configured } = loadConfig({ ...env, STRIPE_SECRET_KEY: "sk_test_billify", STRIPE_API_BASE: base });
    expect(configured.name).toBe("stripe");
    expect(await configured.charge(request())).toMatchObject({ status: "succeeded" });
    expect((await recorded()).charges).toBe(1);
  });

  it("a malformed STRIPE_API_BASE fails at start, naming the variable", () => {
    expect(() =>
      loadConfig({ ...env, STRIPE_SECRET_KEY: "sk_test_billify", STRIPE_API_BASE: "127.0.0.1:12111" }),
    ).toThrow(/STRIPE_API_BASE/);
    expect(() =>
      loadConfig({ ...env, STRIPE_SECRET_KEY: "sk_test_billify", STRIPE_API_BASE: "http://127.0.0.1:1/v1" }),
    ).toThrow(/STRIPE_API_BASE/);
  });

  it("failureCode prefers a specific decline code over Stripe's generic one", () => {
    expect(failureCode({ code: "card_declined", decline_code: "insufficient_funds" })).toBe("insufficient_funds");
    expect(failureCode({ code: "card_declined", decline_code: "generic_decline" })).toBe("card_declined");
    expect(failureCode({ code: "expired_card" })).toBe("expired_card");
    expect(failureCode({})).toBe("payment_failed");
  });
});
