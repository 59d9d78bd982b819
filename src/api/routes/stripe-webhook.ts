import type { RouteHandler } from "@hono/zod-openapi";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import Stripe from "stripe";
import { invoiceStub } from "../../actors/stubs";
import { ApiError } from "../../lib/errors";
import type { ChargeResult } from "../../payments/gateway";
import { ATTEMPT_METADATA_KEY, failureCode, INVOICE_METADATA_KEY } from "../../payments/stripe-gateway";
import type { AppEnv } from "../context";
import { errorResponse } from "../openapi-errors";

/** Stripe's default: a signature older than this is refused, so a captured event cannot be replayed later. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const Receipt = z
  .object({
    received: z.literal(true),
    applied: z.boolean().openapi({
      description:
        "Whether this event settled a pending payment (false for duplicates and events Billify does not act on).",
    }),
  })
  .openapi("StripeWebhookReceipt");

const route = createRoute({
  method: "post",
  path: "/v1/gateway/stripe/webhook",
  operationId: "receiveStripeWebhook",
  summary: "Receive Stripe events (asynchronous payment results)",
  description:
    "Called by Stripe, not by clients: no API key, verified by the `Stripe-Signature` header (HMAC-SHA256 with " +
    "STRIPE_WEBHOOK_SECRET, 300 s tolerance). Handles `payment_intent.succeeded` and `payment_intent.payment_failed` " +
    "for PaymentIntents Billify created; every other verified event is acknowledged with 200 and ignored.",
  tags: ["Gateway"],
  security: [],
  responses: {
    200: { description: "Verified and processed", content: { "application/json": { schema: Receipt } } },
    400: errorResponse(400),
    500: errorResponse(500),
  },
});

/**
 * Stripe's asynchronous payment results. A verified event always gets 200 (Stripe stops
 * retrying); a payment that is no longer pending is left alone by the actor, so duplicate and
 * out-of-order deliveries are harmless. Only a fault reaching the actor answers 500, and then
 * Stripe delivers again.
 */
export function stripeWebhookRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
    const event = await verifiedEvent(c);
    const outcome = gatewayResultOf(event);
    const stub = outcome ? invoiceStub(c.env, outcome.invoiceId) : null;
    if (!outcome || !stub) return c.json({ received: true as const, applied: false }, 200);
    const applied = await stub.applyGatewayResult(outcome.invoiceId, outcome.gatewayKey, outcome.result);
    // Not found (an intent someone else made with our metadata) is acknowledged, not retried.
    return c.json({ received: true as const, applied: applied.ok && applied.value.applied }, 200);
  };
  app.openapi(route, handler);
  return app;
}

/** The event, once `Stripe-Signature` verifies over the exact body bytes; else 400. */
async function verifiedEvent(c: Context<AppEnv>): Promise<Stripe.Event> {
  const secret = c.env.STRIPE_WEBHOOK_SECRET;
  if (!secret) {
    // Fail closed: without a secret nothing can be verified, so nothing is accepted.
    throw new ApiError(
      400,
      "signature_invalid",
      "Stripe webhooks are not configured on this server (STRIPE_WEBHOOK_SECRET is not set).",
    );
  }
  const header = c.req.header("Stripe-Signature");
  if (!header) throw new ApiError(400, "signature_invalid", "Missing Stripe-Signature header.", "Stripe-Signature");
  // The raw text, cached by the body reader in app.ts: a re-serialized body would not verify.
  const body = await c.req.text();
  try {
    return await Stripe.webhooks.constructEventAsync(
      body,
      header,
      secret,
      SIGNATURE_TOLERANCE_SECONDS,
      Stripe.createSubtleCryptoProvider(),
    );
  } catch (error) {
    const reason =
      error instanceof Stripe.errors.StripeSignatureVerificationError
        ? error.message
        : "the payload is not a Stripe event";
    throw new ApiError(400, "signature_invalid", `Stripe-Signature verification failed: ${reason}`, "Stripe-Signature");
  }
}

/** The attempt an event settles, or null when Billify has nothing to do with it. */
function gatewayResultOf(event: Stripe.Event): { invoiceId: string; gatewayKey: string; result: ChargeResult } | null {
  // payment_intent.processing (and everything else) settles nothing: the result comes later.
  if (event.type !== "payment_intent.succeeded" && event.type !== "payment_intent.payment_failed") return null;
  const intent = event.data.object;
  const invoiceId = intent.metadata?.[INVOICE_METADATA_KEY];
  const gatewayKey = intent.metadata?.[ATTEMPT_METADATA_KEY];
  if (!invoiceId || !gatewayKey) return null;
  if (event.type === "payment_intent.succeeded") {
    return { invoiceId, gatewayKey, result: { status: "succeeded", reference: intent.id } };
  }
  const error = intent.last_payment_error;
  const result: ChargeResult = {
    status: "failed",
    code: error ? failureCode(error) : "payment_failed",
    message: error?.message ?? "The payment failed.",
    reference: intent.id,
  };
  return { invoiceId, gatewayKey, result };
}
