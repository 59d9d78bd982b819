import type { Env } from "../actors/env";
import { modeOf } from "../actors/env";
import { customerStub, endpointsStub } from "../actors/stubs";
import { DISABLE_AFTER_MS } from "../actors/webhook-endpoints/endpoints-actor";
import type { EmailMessage, EventMessage, QueueMessage, WebhookMessage } from "../contract/messages";
import { QUEUES } from "../contract/messages";
import { wantsEmail } from "../notifications/email/templates";
import { backoffSeconds, deliverEvent } from "../notifications/webhooks/deliver";
import { matches, readEndpoints } from "../notifications/webhooks/snapshot";
import { parseWebhookUrlGuard, refusedWebhookHost, serviceHostnames } from "../notifications/webhooks/url-guard";
import { recordDeadLetter } from "./dead-letters";

/** What the consumer takes from the world; tests pass their own clock. */
export interface ConsumerDeps {
  now(): number;
  fetch(input: string, init: RequestInit): Promise<Response>;
  random(): number;
}

const realDeps: ConsumerDeps = {
  now: () => Date.now(),
  fetch: (input, init) => fetch(input, init),
  random: Math.random,
};

/** A fresh `sending` claim elsewhere: look again in a minute. */
const IN_PROGRESS_DELAY_SECONDS = 60;

/**
 * The Worker's `queue` handler: one function per queue of wrangler.jsonc. Every message is
 * acked or retried on its own, so one failure never re-runs its neighbours.
 */
export async function handleQueue(
  batch: MessageBatch<unknown>,
  env: Env,
  deps: ConsumerDeps = realDeps,
): Promise<void> {
  const messages = batch.messages as readonly Message<QueueMessage>[];
  switch (batch.queue) {
    case QUEUES.events:
      return fanOut(messages as readonly Message<EventMessage>[], env);
    case QUEUES.webhooks:
      return deliverWebhooks(messages as readonly Message<WebhookMessage>[], env, deps);
    case QUEUES.emails:
      return sendEmails(messages as readonly Message<EmailMessage>[], env, deps);
    case QUEUES.deadLetters:
      await Promise.all(
        messages.map(async (message) => {
          await recordDeadLetter(env, message, deps.now());
          message.ack();
        }),
      );
      return;
    default:
      throw new Error(`no consumer for queue ${batch.queue}`);
  }
}

/**
 * billify-events → one webhook message per matching endpoint and one email message per event
 * that sends one. Endpoints are read once per batch from their KV snapshot, never per message.
 */
async function fanOut(messages: readonly Message<EventMessage>[], env: Env): Promise<void> {
  const endpoints = await readEndpoints(env);
  await Promise.all(
    messages.map(async (message) => {
      const { event, customer, plan } = message.body;
      const webhooks: MessageSendRequest<WebhookMessage>[] = endpoints
        .filter((endpoint) => matches(endpoint, event.type))
        .map((endpoint) => ({ body: { kind: "webhook", endpoint: endpoint.id, event } }));
      try {
        if (webhooks.length > 0) {
          // ≤ 100 messages and ≤ 256 KB per sendBatch; each message carries the whole event
          // (serialized only when there is an endpoint: most events have none, bench/profile-renewal.md).
          const perBatch = Math.max(1, Math.min(100, Math.floor(240_000 / (JSON.stringify(event).length + 200))));
          for (let i = 0; i < webhooks.length; i += perBatch)
            await env.WEBHOOKS_QUEUE.sendBatch(webhooks.slice(i, i + perBatch));
        }
        if (customer && wantsEmail(event, plan)) await env.EMAILS_QUEUE.send({ kind: "email", customer, event, plan });
        message.ack();
      } catch (error) {
        // Sent again whole: some deliveries may go twice, which receivers dedupe by event id.
        console.warn(`fan-out of ${event.id} failed; retrying`, error);
        message.retry({ delaySeconds: backoffSeconds(message.attempts) });
      }
    }),
  );
}

/**
 * billify-webhooks: each (event, endpoint) on its own, concurrently, each with its own timeout
 * and backoff. The endpoints actor hears only of state changes: the first failure after a
 * success, a failure 3 days after that (it disables), and the first success after failures.
 */
async function deliverWebhooks(
  messages: readonly Message<WebhookMessage>[],
  env: Env,
  deps: ConsumerDeps,
): Promise<void> {
  const endpoints = new Map((await readEndpoints(env)).map((e) => [e.id, e]));
  const live = messages.map((m) => m.body.endpoint).filter((id) => endpoints.get(id)?.status === "enabled");
  // The signing secrets, from the endpoints actor, once per batch (never from KV).
  const secrets: Record<string, string[]> =
    live.length > 0 ? await endpointsStub(env).signingSecrets(live, deps.now()) : {};
  const guard = parseWebhookUrlGuard(env.BILLIFY_WEBHOOK_URL_GUARD, modeOf(env));
  const ownHosts = serviceHostnames(env.BILLIFY_SERVICE_HOSTNAMES, env.BILLIFY_PUBLIC_URL);
  await Promise.all(
    messages.map(async (message) => {
      const { endpoint: endpointId, event } = message.body;
      const endpoint = endpoints.get(endpointId);
      // Deleted or disabled since the fan-out: nothing more is sent to it.
      const signWith = secrets[endpointId];
      if (endpoint?.status !== "enabled" || !signWith) return message.ack();
      const now = deps.now();
      // Checked again at every delivery: the guard may have been turned on since the endpoint was made.
      const refusal = guard ? refusedWebhookHost(endpoint.url, ownHosts) : null;
      const result = refusal
        ? ({ ok: false, status: null, error: `url refused: ${refusal.host} is ${refusal.class}` } as const)
        : await deliverEvent(endpoint, signWith, event, now, deps.fetch);
      if (result.ok) {
        if (endpoint.failing_since_ms !== null) await endpointsStub(env).reportSuccess(endpointId);
        return message.ack();
      }
      const mustReport = endpoint.failing_since_ms === null || now - endpoint.failing_since_ms >= DISABLE_AFTER_MS;
      const status = mustReport ? await endpointsStub(env).reportFailure(endpointId, now) : "enabled";
      if (status !== "enabled") return message.ack();
      message.retry({ delaySeconds: backoffSeconds(message.attempts, deps.random) });
    }),
  );
}

/** billify-emails: the customer's actor sends each at most once (its `email` table). */
async function sendEmails(messages: readonly Message<EmailMessage>[], env: Env, deps: ConsumerDeps): Promise<void> {
  await Promise.all(
    messages.map(async (message) => {
      const stub = customerStub(env, message.body.customer);
      if (!stub) return message.ack();
      const result = await stub.sendEventEmail(message.body, deps.now());
      if (result.status === "failed")
        return message.retry({ delaySeconds: backoffSeconds(message.attempts, deps.random) });
      if (result.status === "in_progress") return message.retry({ delaySeconds: IN_PROGRESS_DELAY_SECONDS });
      message.ack();
    }),
  );
}
