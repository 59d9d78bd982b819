import { z } from "@hono/zod-openapi";
import { Metadata, Timestamp } from "./common";

/** docs/billing-rules.md, Events: every event type Billify records. */
const EVENT_TYPES = [
  "customer.created",
  "customer.updated",
  "subscription.created",
  "subscription.updated",
  "subscription.trial_will_end",
  "subscription.canceled",
  "invoice.upcoming",
  "invoice.created",
  "invoice.finalized",
  "invoice.paid",
  "invoice.payment_failed",
  "invoice.voided",
  "invoice.marked_uncollectible",
  "payment.succeeded",
  "payment.failed",
  "payment.refund_failed",
  "payment.needs_attention",
] as const;

const EnabledEvents = z
  .array(z.enum(["*", ...EVENT_TYPES]))
  .min(1)
  .max(EVENT_TYPES.length + 1)
  .openapi({
    description: 'Event types to send, or ["*"] for all.',
    example: ["invoice.paid", "invoice.payment_failed"],
  });

const Url = z.string().url().max(2048).openapi({ example: "https://example.com/billify/webhooks" });

export const WebhookEndpoint = z
  .object({
    id: z.string(),
    object: z.literal("webhook_endpoint"),
    url: z.string(),
    enabled_events: z.array(z.string()),
    status: z.enum(["enabled", "disabled"]),
    description: z.string().nullable(),
    metadata: Metadata,
    secret: z
      .string()
      .optional()
      .openapi({ description: "The signing secret (whsec_…): returned by create and roll_secret only." }),
    created: Timestamp,
    previous_secret_expires: Timestamp.nullable().openapi({
      description:
        "After a secret roll: until when the previous secret still signs deliveries beside the new one (null: it does not).",
    }),
  })
  .openapi("WebhookEndpoint");
export type WebhookEndpoint = z.infer<typeof WebhookEndpoint>;

export const WebhookEndpointCreate = z
  .strictObject({
    url: Url,
    enabled_events: EnabledEvents,
    description: z.string().max(5000).optional(),
    metadata: Metadata.default({}),
  })
  .openapi("WebhookEndpointCreate");
export type WebhookEndpointCreate = z.infer<typeof WebhookEndpointCreate>;

export const WebhookEndpointUpdate = z
  .strictObject({
    url: Url.optional(),
    enabled_events: EnabledEvents.optional(),
    status: z.enum(["enabled", "disabled"]).optional(),
    description: z.string().max(5000).optional(),
    metadata: Metadata.optional(),
  })
  .openapi("WebhookEndpointUpdate");
export type WebhookEndpointUpdate = z.infer<typeof WebhookEndpointUpdate>;

export const DeletedWebhookEndpoint = z
  .object({ id: z.string(), object: z.literal("webhook_endpoint"), deleted: z.literal(true) })
  .openapi("DeletedWebhookEndpoint");

export const WebhookSecretRoll = z
  .strictObject({
    expiration_seconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400)
      .optional()
      .openapi({
        description:
          "How long the current secret keeps signing deliveries beside the new one: default 86400 (24 h), at most 7 days, 0 to stop it now.",
        example: 86_400,
      }),
  })
  .openapi("WebhookSecretRoll");
