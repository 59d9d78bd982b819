import type { Env } from "../actors/env";
import { customerStub, endpointsStub } from "../actors/stubs";
import type { Outcome } from "../contract/errors";
import { failure, notFound, ok } from "../contract/errors";
import type { QueueMessage } from "../contract/messages";
import { invertedMs } from "../lib/kv-keys";

/** One message the queues gave up on, as `GET /v1/admin/dead_letters` lists it (newest first). */
interface DeadLetterView {
  /** `dl_<inverted time>_<queue message id>`: names its KV record. */
  id: string;
  object: "dead_letter";
  /** `event` (the fan-out), `webhook` or `email`. */
  kind: QueueMessage["kind"] | "unknown";
  event: string | null;
  event_type: string | null;
  endpoint: string | null;
  customer: string | null;
  attempts: number;
  created: string;
  /** When it was replayed (POST …/replay), or null. */
  replayed: string | null;
}

/** The KV record: the view and the message itself, so it can be sent again. */
interface DeadLetterRecord extends Omit<DeadLetterView, "id" | "replayed"> {
  replayed?: string | null;
  message?: QueueMessage;
}

export const DEAD_LETTER_PREFIX = "dead_letters/";
const ID_PATTERN = /^dl_(\d{13})_([A-Za-z0-9-]{1,128})$/;

/** `dead_letters/<inverted>/<message id>` ↔ `dl_<inverted>_<message id>`. */
export function deadLetterIdOfKey(key: string): string {
  const [, inverted, messageId] = key.split("/");
  return `dl_${inverted}_${messageId}`;
}

function keyOfDeadLetterId(id: string): string | null {
  const match = ID_PATTERN.exec(id);
  return match ? `${DEAD_LETTER_PREFIX}${match[1]}/${match[2]}` : null;
}

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * Keeps a dead-lettered message visible and replayable: a KV record for the admin list (with
 * the message, to send it again), and for an email the customer's email row turns `failed` (so
 * `GET /v1/admin/emails` shows it).
 */
export async function recordDeadLetter(env: Env, message: Message<unknown>, nowMs: number): Promise<void> {
  const body = message.body as Partial<QueueMessage> | null;
  const kind =
    body && typeof body === "object" && (body.kind === "event" || body.kind === "webhook" || body.kind === "email")
      ? body.kind
      : "unknown";
  const event = body && typeof body === "object" && "event" in body ? body.event : undefined;
  const record: DeadLetterRecord = {
    object: "dead_letter",
    kind,
    event: event?.id ?? null,
    event_type: event?.type ?? null,
    endpoint: body?.kind === "webhook" ? (body.endpoint ?? null) : null,
    customer: body?.kind === "email" || body?.kind === "event" ? (body.customer ?? null) : null,
    attempts: message.attempts,
    created: isoSeconds(nowMs),
    ...(kind === "unknown" ? {} : { message: body as QueueMessage }),
  };
  await env.BILLIFY_KV.put(`${DEAD_LETTER_PREFIX}${invertedMs(nowMs, 13)}/${message.id}`, JSON.stringify(record));
  if (body?.kind === "email" && body.customer) {
    await customerStub(env, body.customer)?.emailDeadLettered(body as QueueMessage & { kind: "email" }, nowMs);
  }
}

/** The view of a stored record (the message stays out of it). */
export function deadLetterView(key: string, record: DeadLetterRecord): DeadLetterView {
  const { message: _message, ...fields } = record;
  return { id: deadLetterIdOfKey(key), ...fields, replayed: record.replayed ?? null };
}

/**
 * Sends dead letter `id` again, to the queue it died on, once: the endpoints actor claims the
 * replay first (`claimDeadLetterReplay`), so a second request, or two at once, sends nothing
 * more and answers the same replay time. A webhook replays only to an enabled endpoint.
 */
export async function replayDeadLetter(env: Env, id: string, nowMs: number): Promise<Outcome<DeadLetterView>> {
  const outcome = await replayOnce(env, id, nowMs);
  return outcome.ok ? ok(outcome.value.view) : outcome;
}

async function replayOnce(
  env: Env,
  id: string,
  nowMs: number,
): Promise<Outcome<{ view: DeadLetterView; sent: boolean }>> {
  const key = keyOfDeadLetterId(id);
  const record = key ? await env.BILLIFY_KV.get<DeadLetterRecord>(key, "json") : null;
  if (!key || !record) return notFound("dead letter", id);
  const message = record.message;
  if (!message) {
    return failure(409, "dead_letter_not_replayable", `Dead letter ${id} kept no message to send again.`, "id");
  }
  const claim = await endpointsStub(env).claimDeadLetterReplay(
    id,
    message.kind === "webhook" ? message.endpoint : null,
    nowMs,
  );
  if (!claim.ok) return claim;
  if (claim.value.first) {
    try {
      await queueOf(env, message).send(message);
    } catch (error) {
      await endpointsStub(env).releaseDeadLetterReplay(id);
      throw error;
    }
  }
  const replayed = { ...record, replayed: isoSeconds(claim.value.replayedMs) };
  if (claim.value.first) await env.BILLIFY_KV.put(key, JSON.stringify(replayed));
  return ok({ view: deadLetterView(key, replayed), sent: claim.value.first });
}

function queueOf(env: Env, message: QueueMessage): Queue<QueueMessage> {
  const queues = { event: env.EVENTS_QUEUE, webhook: env.WEBHOOKS_QUEUE, email: env.EMAILS_QUEUE };
  return queues[message.kind] as Queue<QueueMessage>;
}

/**
 * Replays every webhook dead letter of `endpoint` not replayed yet (each once, as above).
 * Reads the whole dead-letter list: an admin action, not a request path.
 */
export async function replayEndpointDeadLetters(
  env: Env,
  endpoint: string,
  nowMs: number,
): Promise<Outcome<{ object: "dead_letter_replay"; endpoint: string; replayed: string[] }>> {
  const replayed: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.BILLIFY_KV.list({ prefix: DEAD_LETTER_PREFIX, cursor });
    for (const { name } of page.keys) {
      const record = await env.BILLIFY_KV.get<DeadLetterRecord>(name, "json");
      if (record?.kind !== "webhook" || record.endpoint !== endpoint || record.replayed || !record.message) continue;
      const outcome = await replayOnce(env, deadLetterIdOfKey(name), nowMs);
      if (!outcome.ok) return outcome;
      if (outcome.value.sent) replayed.push(outcome.value.view.id);
    }
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return ok({ object: "dead_letter_replay" as const, endpoint, replayed });
}
