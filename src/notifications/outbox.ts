import type { SqlValue } from "../actors/actor";
import { toIso } from "../domain/time";
import type { EventEnvelope, EventMessage } from "./messages";

type Query = <T>(statement: string, ...params: SqlValue[]) => T[];

export interface EventRow {
  seq: number;
  id: string;
  type: string;
  created: number;
  data: string;
}

/** A queue's `sendBatch` takes at most 100 messages, of at most 256 KB together. */
const BATCH = 100;
const MAX_BATCH_BYTES = 240_000;
/** A message may be at most 128 KB; an event larger than this goes without its object. */
export const MAX_MESSAGE_BYTES = 120_000;
/** While events are left unsent, the alarm tries again this soon. */
export const OUTBOX_RETRY_MS = 10_000;

/** The stored row as the API and the queue show it. */
export function envelopeOf(row: EventRow): EventEnvelope {
  return {
    id: row.id,
    object: "event",
    type: row.type,
    created: toIso(row.created),
    data: JSON.parse(row.data) as EventEnvelope["data"],
  };
}

/**
 * The transactional outbox of an actor's `event` table. Events are written in the same
 * transaction as the change they report; after the commit `flush` sends them to
 * billify-events, oldest first, and moves the watermark `_meta.outbox_seq` past them (one row
 * written per batch, and finding unsent events reads only those). A crash between the commit and the send leaves them
 * unsent: the actor arms its alarm for `OUTBOX_RETRY_MS` right after every commit
 * (`retryAt`), and the alarm flushes again. Delivery is at least once; the event id is the key.
 */
export class Outbox {
  private flushing: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly query: Query,
    private readonly queue: Queue<EventMessage>,
    /** Everything of a message except the event: recipient, source, plan. */
    private readonly describe: () => Omit<EventMessage, "kind" | "event">,
  ) {}

  /** Events up to this sequence number are sent (a watermark, so finding the rest reads only them). */
  private sentUpTo(): number {
    return this.query<{ value: number }>("SELECT value FROM _meta WHERE key = 'outbox_seq'")[0]?.value ?? 0;
  }

  /** Whether any event is left unsent (reads at most two rows). */
  hasUnsent(): boolean {
    return this.query("SELECT seq FROM event WHERE seq > ? LIMIT 1", this.sentUpTo()).length > 0;
  }

  /** When the alarm should next try, in epoch ms: soon while anything is unsent, else never. */
  retryAt(nowMs: number): number | null {
    return this.hasUnsent() ? nowMs + OUTBOX_RETRY_MS : null;
  }

  /** Sends every unsent event, oldest first. Flushes never overlap; a failure leaves the rest to the alarm. */
  async flush(): Promise<void> {
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      do {
        this.again = false;
        for (;;) {
          const rows = this.query<EventRow>(
            "SELECT seq, id, type, created, data FROM event WHERE seq > ? ORDER BY seq LIMIT ?",
            this.sentUpTo(),
            BATCH,
          );
          if (rows.length === 0) break;
          const context = this.describe();
          const { messages, last } = fitBatch(rows.map((row) => ({ seq: row.seq, body: messageOf(row, context) })));
          await this.queue.sendBatch(messages.map((body) => ({ body })));
          this.query(
            "INSERT INTO _meta (key, value) VALUES ('outbox_seq', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            last,
          );
        }
      } while (this.again);
    })();
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
    }
  }
}

/**
 * The message for one event. An event too large for a queue message (an invoice with thousands
 * of lines) keeps only its object's `id` and `object`, with `data.truncated: true`: a receiver
 * reads the rest from the API. Without this one oversized event would block its outbox for good.
 */
export function messageOf(row: EventRow, context: Omit<EventMessage, "kind" | "event">): EventMessage {
  const message: EventMessage = { kind: "event", event: envelopeOf(row), ...context };
  if (byteLength(message) <= MAX_MESSAGE_BYTES) return message;
  const { id, object } = message.event.data.object as { id?: unknown; object?: unknown };
  return {
    ...message,
    event: { ...message.event, data: { object: { id, object }, truncated: true } as EventMessage["event"]["data"] },
  };
}

/** The longest prefix that fits one sendBatch (at least one message), and the seq of its last. */
export function fitBatch(items: { seq: number; body: EventMessage }[]): { messages: EventMessage[]; last: number } {
  const messages: EventMessage[] = [];
  let bytes = 0;
  let last = items[0]!.seq;
  for (const item of items.slice(0, BATCH)) {
    const size = byteLength(item.body);
    if (messages.length > 0 && bytes + size > MAX_BATCH_BYTES) break;
    messages.push(item.body);
    bytes += size;
    last = item.seq;
  }
  return { messages, last };
}

function byteLength(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value)).byteLength;
}

/** Flushes; a failed send is logged and left to the alarm, never failing the committed request. */
export async function flushOutbox(outbox: Outbox, actorName: string): Promise<void> {
  try {
    await outbox.flush();
  } catch (error) {
    console.warn(`events of ${actorName} not sent yet; the alarm will retry`, error);
  }
}
