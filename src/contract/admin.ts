import { z } from "@hono/zod-openapi";
import { listQuery, Timestamp } from "./common";
import { SubscriptionStatus } from "./subscription";

/** A row of the admin read model (KV): what the dashboard's table shows, without the actor. */
export const SubscriptionSummary = z
  .object({
    id: z.string(),
    object: z.literal("subscription_summary"),
    status: SubscriptionStatus,
    plan: z.string(),
    customer: z.string(),
    amount: z.number().int(),
    quantity: z.number().int(),
    currency: z.string(),
    interval: z.string(),
    interval_count: z.number().int(),
    current_period_end: Timestamp,
    cancel_at_period_end: z.boolean(),
    test_clock: z.string().nullable(),
    created: Timestamp,
    version: z.number().int().openapi({ description: "Grows with every change of the subscription." }),
  })
  .openapi("SubscriptionSummary");

/** Cursors of KV listings wrap KV's own (which can be long) with the listing they belong to. */
const KvListQuery = listQuery(z.string().min(1).max(2048));

export const AdminSubscriptionQuery = KvListQuery.extend({
  status: SubscriptionStatus.optional().openapi({ param: { name: "status", in: "query" } }),
  plan: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional()
    .openapi({ param: { name: "plan", in: "query" } }),
  customer: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional()
    .openapi({ param: { name: "customer", in: "query" } }),
});

export const Metrics = z
  .object({
    object: z.literal("metrics"),
    mrr: z.record(z.string(), z.number().int()).openapi({
      description: "Monthly recurring revenue per currency, in minor units (active and past_due subscriptions).",
      example: { usd: 123_400 },
    }),
    counts: z
      .record(SubscriptionStatus, z.number().int())
      .openapi({ description: "Subscriptions per status (every status listed)." }),
    subscriptions: z.number().int(),
  })
  .openapi("Metrics");
export type Metrics = z.infer<typeof Metrics>;

export const LiveTokenCreate = z.strictObject({ subscription: z.string().min(1).max(64) }).openapi("LiveTokenCreate");

export const LiveToken = z
  .object({
    object: z.literal("live_token"),
    subscription: z.string(),
    token: z.string(),
    url: z.string().openapi({ description: "Path of the WebSocket (partyserver) to open, token included." }),
    expires_at: Timestamp,
  })
  .openapi("LiveToken");

export const CustomerListQuery = KvListQuery.extend({
  email: z
    .string()
    .min(1)
    .max(320)
    .optional()
    .openapi({ param: { name: "email", in: "query" } }),
});

/** What an operator sees of one subscription's alarm: when it fires next, and whether its runs fail. */
export const AlarmHealth = z
  .object({
    object: z.literal("alarm_health"),
    subscription: z.string(),
    next_alarm: Timestamp.nullable().openapi({ description: "When the alarm fires next (null: no job is due)." }),
    failures: z.number().int().openapi({ description: "Alarm runs that failed in a row (0 after a successful run)." }),
    last_error: z
      .string()
      .nullable()
      .openapi({ description: "The error of the last failed run, while `failures` > 0." }),
    last_failure_at: Timestamp.nullable(),
  })
  .openapi("AlarmHealth");
export type AlarmHealth = z.infer<typeof AlarmHealth>;
