import type { Env } from "../actors/env";
import { customerStub } from "../actors/stubs";
import type { QueueMessage } from "../contract/messages";
import { invertedMs } from "../lib/kv-keys";

/** One message the queues gave up on, as `GET /v1/admin/dead_letters` lists it (newest first). */
interface DeadLetterView {
  object: "dead_letter";
  /** `event` (the fan-out), `webhook` or `email`. */
  kind: QueueMessage["kind"] | "unknown";
  event: string | null;
  event_type: string | null;
  endpoint: string | null;
  customer: string | null;
  attempts: number;
  created: string;
}

export const DEAD_LETTER_PREFIX = "dead_letters/";

/**
 * Keeps a dead-lettered message visible: a KV record for the admin list, and for an email the
 * customer's email row turns `failed` (so `GET /v1/admin/emails` shows it).
 */
export async function recordDeadLetter(env: Env, message: Message<unknown>, nowMs: number): Promise<void> {
  const body = message.body as Partial<QueueMessage> | null;
  const kind =
    body && typeof body === "object" && (body.kind === "event" || body.kind === "webhook" || body.kind === "email")
      ? body.kind
      : "unknown";
  const event = body && typeof body === "object" && "event" in body ? body.event : undefined;
  const view: DeadLetterView = {
    object: "dead_letter",
    kind,
    event: event?.id ?? null,
    event_type: event?.type ?? null,
    endpoint: body?.kind === "webhook" ? (body.endpoint ?? null) : null,
    customer: body?.kind === "email" || body?.kind === "event" ? (body.customer ?? null) : null,
    attempts: message.attempts,
    created: new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, "Z"),
  };
  await env.BILLIFY_KV.put(`${DEAD_LETTER_PREFIX}${invertedMs(nowMs, 13)}/${message.id}`, JSON.stringify(view));
  if (body?.kind === "email" && body.customer) {
    await customerStub(env, body.customer)?.emailDeadLettered(body as QueueMessage & { kind: "email" }, nowMs);
  }
}
