import type { EventEnvelope, EventMessage } from "../contract/messages";
import { toIso } from "../domain/time";
import { SerialRuns } from "../lib/serial-runs";
import type { Query } from "../lib/sql";

/** A row of an actor's one-row-per-event `event` table (the customer's). */
export interface EventRow {
  seq: number;
  id: string;
  type: string;
  created: number;
  data: string;
}

/** One recorded event, its `data` parsed: what the API lists and the outbox sends. */
export interface RecordedEvent {
  id: string;
  type: string;
  created: number;
  data: EventEnvelope["data"];
}

/** An event and its position in its actor's log: positions only grow, in causal order. */
export interface PositionedEvent {
  position: number;
  event: RecordedEvent;
}

/**
 * Where an outbox reads its actor's events. Positions are the source's own (a row's seq, or a
 * place inside a row of several events); the outbox only compares and stores them.
 */
export interface EventSource {
  /** The `_meta` key that holds the position of the last event sent (0: none). */
  readonly watermarkKey: string;
  /** Up to `limit` events after `position`, oldest first. */
  after(position: number, limit: number): PositionedEvent[];
  /** Whether any event lies after `position` (cheap: asked after every transaction). */
  hasAfter(position: number): boolean;
}

/** A table of one row per event (the customer's): an event's position is its seq. */
function eventPerRow(query: Query): EventSource {
  return {
    watermarkKey: "outbox_seq",
    after: (position, limit) =>
      query<EventRow>(
        "SELECT seq, id, type, created, data FROM event WHERE seq > ? ORDER BY seq LIMIT ?",
        position,
        limit,
      ).map((row) => ({ position: row.seq, event: recordedOf(row) })),
    hasAfter: (position) => query("SELECT seq FROM event WHERE seq > ? LIMIT 1", position).length > 0,
  };
}

/** A queue's `sendBatch` takes at most 100 messages, of at most 256 KB together. */
const BATCH = 100;
const MAX_BATCH_BYTES = 240_000;
/** A message may be at most 128 KB; an event larger than this goes without its object. */
export const MAX_MESSAGE_BYTES = 120_000;
/** While events are left unsent, the alarm tries again this soon. */
const OUTBOX_RETRY_MS = 10_000;

function recordedOf(row: EventRow): RecordedEvent {
  return { id: row.id, type: row.type, created: row.created, data: JSON.parse(row.data) as EventEnvelope["data"] };
}

/** The stored row as the API and the queue show it. */
export function envelopeOf(row: EventRow): EventEnvelope {
  return envelope(recordedOf(row));
}

/** A recorded event as the API and the queue show it. */
export function envelope(event: RecordedEvent): EventEnvelope {
  return { id: event.id, object: "event", type: event.type, created: toIso(event.created), data: event.data };
}

/**
 * The transactional outbox of an actor's events. Events are written in the same transaction
 * as the change they report; after the commit `flush` sends them to billify-events, oldest
 * first, and moves the watermark (`_meta`, the source's `watermarkKey`) to the position of the
 * last one sent: one row written per sendBatch, and finding unsent events reads only those.
 * The watermark is exact to the event, so a row of several events split across two sendBatch
 * calls is resumed where the first stopped. A crash between the commit and the send leaves
 * them unsent: the actor arms its alarm for `OUTBOX_RETRY_MS` right after every commit
 * (`retryAt`), and the alarm flushes again. Delivery is at least once; the event id is the key.
 */
export class Outbox {
  private readonly flushes = new SerialRuns(() => this.sendUnsent());
  /**
   * The watermark as stored: read once, then kept by the writes below (only this outbox writes
   * its key, outside any transaction). It is asked after every transaction (`retryAt`).
   */
  private watermark: number | null = null;

  constructor(
    private readonly query: Query,
    private readonly queue: Queue<EventMessage>,
    /** Everything of a message except the event: recipient, source, plan. */
    private readonly describe: () => Omit<EventMessage, "kind" | "event">,
    /** The actor's events; by default its `event` table, one row per event. */
    private readonly source: EventSource = eventPerRow(query),
  ) {}

  /** Events up to this position are sent (a watermark, so finding the rest reads only them). */
  private sentUpTo(): number {
    this.watermark ??=
      this.query<{ value: number }>("SELECT value FROM _meta WHERE key = ?", this.source.watermarkKey)[0]?.value ?? 0;
    return this.watermark;
  }

  /** Whether any event is left unsent (reads at most a few rows). */
  hasUnsent(): boolean {
    return this.source.hasAfter(this.sentUpTo());
  }

  /** When the alarm should next try, in epoch ms: soon while anything is unsent, else never. */
  retryAt(nowMs: number): number | null {
    return this.hasUnsent() ? nowMs + OUTBOX_RETRY_MS : null;
  }

  /** Sends every unsent event, oldest first. Flushes never overlap; a failure leaves the rest to the alarm. */
  flush(): Promise<void> {
    return this.flushes.run();
  }

  private async sendUnsent(): Promise<void> {
    for (;;) {
      const unsent = this.source.after(this.sentUpTo(), BATCH);
      if (unsent.length === 0) break;
      const context = this.describe();
      const { messages, last } = fitBatch(
        unsent.map(({ position, event }) => ({ position, ...sized(event, context) })),
      );
      await this.queue.sendBatch(messages.map((body) => ({ body })));
      this.watermark = null; // should the write fail, read it again
      this.query(
        "INSERT INTO _meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        this.source.watermarkKey,
        last,
      );
      this.watermark = last;
    }
  }
}

/**
 * The message for one event. An event too large for a queue message (an invoice with thousands
 * of lines) keeps only its object's `id` and `object`, with `data.truncated: true`: a receiver
 * reads the rest from the API. Without this one oversized event would block its outbox for good.
 */
export function messageOf(event: RecordedEvent, context: Omit<EventMessage, "kind" | "event">): EventMessage {
  return sized(event, context).body;
}

/** The message for one event and its size in bytes, measured once (`fitBatch` needs it too). */
function sized(
  event: RecordedEvent,
  context: Omit<EventMessage, "kind" | "event">,
): { body: EventMessage; bytes: number } {
  const message: EventMessage = { kind: "event", event: envelope(event), ...context };
  const bytes = byteLength(message);
  if (bytes <= MAX_MESSAGE_BYTES) return { body: message, bytes };
  const { id, object } = message.event.data.object as { id?: unknown; object?: unknown };
  const body = {
    ...message,
    event: { ...message.event, data: { object: { id, object }, truncated: true } as EventMessage["event"]["data"] },
  };
  return { body, bytes: byteLength(body) };
}

/**
 * The longest prefix that fits one sendBatch (at least one message), and the position of its
 * last. `bytes`, when given, is the message's size already measured.
 */
export function fitBatch(items: { position: number; body: EventMessage; bytes?: number }[]): {
  messages: EventMessage[];
  last: number;
} {
  const messages: EventMessage[] = [];
  let bytes = 0;
  let last = items[0]!.position;
  for (const item of items.slice(0, BATCH)) {
    const size = item.bytes ?? byteLength(item.body);
    if (messages.length > 0 && bytes + size > MAX_BATCH_BYTES) break;
    messages.push(item.body);
    bytes += size;
    last = item.position;
  }
  return { messages, last };
}

const encoder = new TextEncoder();

function byteLength(value: unknown): number {
  return encoder.encode(JSON.stringify(value)).byteLength;
}

/** Flushes; a failed send is logged and left to the alarm, never failing the committed request. */
export async function flushOutbox(outbox: Outbox, actorName: string): Promise<void> {
  try {
    await outbox.flush();
  } catch (error) {
    console.warn(`events of ${actorName} not sent yet; the alarm will retry`, error);
  }
}
