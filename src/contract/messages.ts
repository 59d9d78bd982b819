/**
 * The shapes on Billify's queues (documented in ARCHITECTURE.md "Queue messages"; other
 * consumers, such as metrics, read `EventMessage` from billify-events). Every message carries
 * the event whole, so a consumer never reads the actor that recorded it.
 */

/** An event as the API shows it (docs/billing-rules.md, Objects). Its `id` is the idempotency key downstream. */
export interface EventEnvelope {
  id: string;
  object: "event";
  type: string;
  created: string;
  data: { object: Record<string, unknown> };
}

/** What an email template needs of the subscription's plan (a subscription event carries it). */
export interface PlanSummary {
  id: string;
  name: string;
  currency: string;
  amount: number;
  interval: "day" | "week" | "month" | "year";
  interval_count: number;
}

/** billify-events: one per recorded event, sent by the actor's outbox after its commit. */
export interface EventMessage {
  kind: "event";
  event: EventEnvelope;
  /** The customer the event concerns (the email recipient), or null. */
  customer: string | null;
  /** The actor that recorded it. */
  source: { actor: "subscription" | "customer"; id: string };
  /** The subscription's plan terms, for subscription events; null otherwise. */
  plan: PlanSummary | null;
}

/** billify-webhooks: one delivery of one event to one endpoint, retried on its own. */
export interface WebhookMessage {
  kind: "webhook";
  endpoint: string;
  event: EventEnvelope;
}

/** billify-emails: the customer email for one event, sent at most once per event. */
export interface EmailMessage {
  kind: "email";
  customer: string;
  event: EventEnvelope;
  plan: PlanSummary | null;
}

export type QueueMessage = EventMessage | WebhookMessage | EmailMessage;

/** The queue names of wrangler.jsonc. */
export const QUEUES = {
  events: "billify-events",
  webhooks: "billify-webhooks",
  emails: "billify-emails",
  deadLetters: "billify-dead-letters",
} as const;
