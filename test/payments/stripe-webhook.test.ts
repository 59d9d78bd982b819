import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app";
import { ok, paymentsOf } from "../helpers";
import { incompleteSubscription, pendingGateway, useGateway } from "./actor-gateway";

const SECRET = "whsec_test_billify";
const PATH = "/v1/gateway/stripe/webhook";
const app = createApp();

/** `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, as Stripe signs. */
async function sign(body: string, secret = SECRET, t = Math.floor(Date.now() / 1000)): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${t}.${body}`));
  const hex = [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `t=${t},v1=${hex}`;
}

/** Calls the app directly with STRIPE_WEBHOOK_SECRET set (the global test bindings leave it unset). */
async function deliver(body: string, signature: string | null, secret: string | null = SECRET) {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (signature !== null) headers["Stripe-Signature"] = signature;
  const ctx = createExecutionContext();
  const response = await app.fetch(
    new Request(`http://billify.test${PATH}`, { method: "POST", headers, body }),
    { ...env, STRIPE_WEBHOOK_SECRET: secret ?? undefined },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return {
    status: response.status,
    body: (await response.json()) as {
      received?: boolean;
      applied?: boolean;
      error?: { type: string; code: string; message: string };
    },
  };
}

let sequence = 0;
/** A Stripe event as Stripe serialises it (pretty-printed: the signature covers these exact bytes). */
function event(type: string, intent: Record<string, unknown>): string {
  sequence += 1;
  const payload = {
    id: `evt_test_${sequence}`,
    object: "event",
    api_version: "2026-10-28.endive",
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    type,
    data: {
      object: {
        object: "payment_intent",
        amount: 2500,
        currency: "usd",
        last_payment_error: null,
        metadata: {},
        ...intent,
      },
    },
  };
  return JSON.stringify(payload, null, 2);
}

const signatureInvalid = { type: "invalid_request_error", code: "signature_invalid" };

describe("Stripe-Signature verification", () => {
  const body = event("customer.created", { id: "pi_unused" });

  it("accepts a correctly signed event without an API key", async () => {
    expect(await deliver(body, await sign(body))).toEqual({ status: 200, body: { received: true, applied: false } });
  });

  it("refuses a missing header", async () => {
    const response = await deliver(body, null);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject(signatureInvalid);
  });

  it("refuses a signature made with another secret", async () => {
    const response = await deliver(body, await sign(body, "whsec_someone_else"));
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject(signatureInvalid);
  });

  it("refuses a body changed after signing (even by whitespace)", async () => {
    const signature = await sign(body);
    expect((await deliver(JSON.stringify(JSON.parse(body)), signature)).status).toBe(400);
    expect((await deliver(body.replace("customer.created", "customer.deleted"), signature)).status).toBe(400);
  });

  it("refuses a timestamp older than 300 s, accepts one just inside", async () => {
    const now = Math.floor(Date.now() / 1000);
    const stale = await deliver(body, await sign(body, SECRET, now - 301));
    expect(stale.status).toBe(400);
    expect(stale.body.error).toMatchObject(signatureInvalid);
    expect(stale.body.error!.message).toMatch(/tolerance/i);
    expect((await deliver(body, await sign(body, SECRET, now - 290))).status).toBe(200);
  });

  it("refuses malformed headers", async () => {
    for (const header of ["", "v1=abc", "t=abc,v1=abc", `t=${Math.floor(Date.now() / 1000)}`, "garbage"]) {
      const response = await deliver(body, header);
      expect(response.status, header).toBe(400);
    }
  });

  it("accepts any one matching v1 among several (secret rotation)", async () => {
    const good = await sign(body);
    const [t, v1] = good.split(",");
    expect((await deliver(body, `${t},v1=${"0".repeat(64)},${v1}`)).status).toBe(200);
  });

  it("fails closed when STRIPE_WEBHOOK_SECRET is not configured", async () => {
    const response = await deliver(body, await sign(body), null);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject(signatureInvalid);
    expect(response.body.error!.message).toMatch(/STRIPE_WEBHOOK_SECRET/);
  });

  it("is documented in /v1/openapi.json as an operation without the bearer scheme", async () => {
    const response = await exports.default.fetch(new Request("http://billify.test/v1/openapi.json"));
    const doc = (await response.json()) as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    expect(doc.paths[PATH]?.post?.security).toEqual([]);
  });

  it("is public on the Worker (no 401) and fails closed with the default bindings", async () => {
    const response = await exports.default.fetch(
      new Request(`http://billify.test${PATH}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Stripe-Signature": await sign(body) },
        body,
      }),
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: unknown }).error).toMatchObject(signatureInvalid);
  });
});

describe("payment_intent events settle the pending attempt they name", () => {
  /** An open invoice whose latest attempt is pending at the gateway, and that attempt's key. */
  async function pendingAttempt() {
    const setup = await incompleteSubscription();
    const gateway = pendingGateway();
    await useGateway(setup.subscription.id, gateway);
    await ok("POST", `/v1/invoices/${setup.invoice.id}/pay`);
    const payments = await paymentsOf(setup.invoice.id);
    expect(payments.map((p: { status: string }) => p.status)).toEqual(["failed", "pending"]);
    expect(gateway.keys).toHaveLength(1);
    return { ...setup, key: gateway.keys[0]! };
  }

  const metadataFor = (invoiceId: string, key: string) => ({ billify_invoice: invoiceId, billify_key: key });

  it("payment_intent.succeeded pays the invoice once; a redelivery is acknowledged and changes nothing", async () => {
    const { subscription, invoice, key } = await pendingAttempt();
    const body = event("payment_intent.succeeded", {
      id: "pi_test_ok",
      status: "succeeded",
      metadata: metadataFor(invoice.id, key),
    });

    expect(await deliver(body, await sign(body))).toEqual({ status: 200, body: { received: true, applied: true } });
    const paid = await ok("GET", `/v1/invoices/${invoice.id}`);
    expect(paid).toMatchObject({ status: "paid", amount_paid: 2500, amount_remaining: 0 });
    expect((await ok("GET", `/v1/subscriptions/${subscription.id}`)).status).toBe("active");

    // Stripe retries deliveries: the identical event (freshly signed) is absorbed.
    expect(await deliver(body, await sign(body))).toEqual({ status: 200, body: { received: true, applied: false } });
    const payments = await paymentsOf(invoice.id);
    expect(payments.map((p: { status: string }) => p.status)).toEqual(["failed", "succeeded"]);
    expect((await ok("GET", `/v1/invoices/${invoice.id}`)).amount_paid).toBe(2500);
  });

  it("payment_intent.payment_failed fails the attempt with the decline code and message; a late success is ignored", async () => {
    const { invoice, key } = await pendingAttempt();
    const failed = event("payment_intent.payment_failed", {
      id: "pi_test_declined",
      status: "requires_payment_method",
      metadata: metadataFor(invoice.id, key),
      last_payment_error: {
        type: "card_error",
        code: "card_declined",
        decline_code: "insufficient_funds",
        message: "Your card has insufficient funds.",
      },
    });
    expect(await deliver(failed, await sign(failed))).toEqual({ status: 200, body: { received: true, applied: true } });
    const payments = await paymentsOf(invoice.id);
    expect(payments[1]).toMatchObject({
      status: "failed",
      failure_code: "insufficient_funds",
      failure_message: "Your card has insufficient funds.",
    });
    expect((await ok("GET", `/v1/invoices/${invoice.id}`)).status).toBe("open");

    // Out of order: a success for the same attempt, after its failure, is left alone.
    const late = event("payment_intent.succeeded", {
      id: "pi_test_declined",
      status: "succeeded",
      metadata: metadataFor(invoice.id, key),
    });
    expect(await deliver(late, await sign(late))).toEqual({ status: 200, body: { received: true, applied: false } });
    expect((await ok("GET", `/v1/invoices/${invoice.id}`)).status).toBe("open");
  });

  it("payment_intent.processing, events without billify metadata and unknown invoices are acknowledged and ignored", async () => {
    const { invoice, key } = await pendingAttempt();
    const bodies = [
      event("payment_intent.processing", {
        id: "pi_test_proc",
        status: "processing",
        metadata: metadataFor(invoice.id, key),
      }),
      event("payment_intent.succeeded", { id: "pi_someone_elses", status: "succeeded", metadata: { order: "42" } }),
      event("payment_intent.succeeded", {
        id: "pi_test_x",
        status: "succeeded",
        metadata: metadataFor("in_01KZZZZZZZZZZZZZZZZZZZZZZZ", "in_01KZZZZZZZZZZZZZZZZZZZZZZZ:attempt:1"),
      }),
      event("payment_intent.succeeded", {
        id: "pi_test_y",
        status: "succeeded",
        metadata: metadataFor("not-an-invoice", "k"),
      }),
      event("payment_intent.succeeded", {
        id: "pi_test_z",
        status: "succeeded",
        metadata: metadataFor(invoice.id, `${invoice.id}:attempt:99`),
      }),
    ];
    for (const body of bodies) {
      expect(await deliver(body, await sign(body))).toEqual({ status: 200, body: { received: true, applied: false } });
    }
    const payments = await paymentsOf(invoice.id);
    expect(payments.map((p: { status: string }) => p.status)).toEqual(["failed", "pending"]);
    expect((await ok("GET", `/v1/invoices/${invoice.id}`)).status).toBe("open");
  });
});
