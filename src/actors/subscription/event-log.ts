import { ulid } from "ulid";
import type { Instant } from "../../domain/time";
import type { Query } from "../../lib/sql";
import type { EventSource, PositionedEvent, RecordedEvent } from "../../notifications/outbox";

// A subscription's events are stored one row per decision, not one per event (rows written
// are what Cloudflare bills): `event_batch (seq, created, events)`, where `events` is the JSON
// array `[{id, type, created, data}]` of what one persist (or the invoice.upcoming job)
// recorded, in causal order. Every event keeps its own id, type and time.
//
// NOTE: an event's *position* is one integer, seq × 1000 + its index in the batch, except that
// the last event of a batch takes seq × 1000 + 999, "the end of batch seq". So a watermark or a
// cursor at a batch's end says "all of it" without reading the batch, which is where the
// outbox's watermark almost always stands, and where every cursor issued before batches
// existed (a bare seq: each old row became a batch of one) still points.

/** Positions per batch: a batch holds at most this many events. */
const EVENTS_PER_BATCH = 1000;
/** A batch row stays far below SQLite's 2 MB row limit; a larger event is a batch of its own. */
const MAX_BATCH_BYTES = 1_000_000;
/** Batches read per statement while paging: a page of `limit` events reads about that many. */
const BATCHES_PER_READ = 20;

/** What a decision asks to record: the type, the object as it stands, extra `data` fields. */
interface NewEvent {
  type: string;
  object: unknown;
  extra?: Record<string, unknown>;
}

/** The position of event `index` of a batch of `count` (the last one is the batch's end). */
export function positionOf(seq: number, index: number, count: number): number {
  return seq * EVENTS_PER_BATCH + (index === count - 1 ? EVENTS_PER_BATCH - 1 : index);
}

/** The batch a position is in, and the index in it (`EVENTS_PER_BATCH - 1`: its end). */
function batchOf(position: number): { seq: number; index: number } {
  return { seq: Math.floor(position / EVENTS_PER_BATCH), index: position % EVENTS_PER_BATCH };
}

/** The list cursor for a position: `<seq>` at a batch's end, `<seq>.<index>` inside one. */
export function cursorOf(position: number): string {
  const { seq, index } = batchOf(position);
  return index === EVENTS_PER_BATCH - 1 ? String(seq) : `${seq}.${index}`;
}

/** The log of one subscription's events: the outbox's source and the events list's. */
export class EventLog implements EventSource {
  readonly watermarkKey = "outbox_position";

  constructor(private readonly query: Query) {}

  /** Records one decision's events in causal order: one row (more only past 1000 events or ~1 MB). */
  record(events: readonly NewEvent[], at: Instant): void {
    const encoder = new TextEncoder();
    let batch: string[] = [];
    let bytes = 0;
    const write = () => {
      if (batch.length > 0)
        this.query("INSERT INTO event_batch (created, events) VALUES (?, ?)", at, `[${batch.join(",")}]`);
      batch = [];
      bytes = 0;
    };
    for (const { type, object, extra } of events) {
      const recorded: RecordedEvent = {
        id: `evt_${ulid()}`,
        type,
        created: at,
        data: { object: object as Record<string, unknown>, ...extra },
      };
      const json = JSON.stringify(recorded);
      const size = encoder.encode(json).byteLength + 1;
      if (batch.length === EVENTS_PER_BATCH || (batch.length > 0 && bytes + size > MAX_BATCH_BYTES)) write();
      batch.push(json);
      bytes += size;
    }
    write();
  }

  /** Up to `limit` events after `position`, oldest first; reads only the batches from the position's on. */
  after(position: number, limit: number): PositionedEvent[] {
    const start = batchOf(position);
    const found: PositionedEvent[] = [];
    let from = start.seq;
    while (found.length < limit) {
      const rows = this.query<{ seq: number; events: string }>(
        "SELECT seq, events FROM event_batch WHERE seq >= ? ORDER BY seq LIMIT ?",
        from,
        Math.min(limit + 1, BATCHES_PER_READ),
      );
      for (const row of rows) {
        if (row.seq === start.seq && start.index === EVENTS_PER_BATCH - 1) continue;
        const events = JSON.parse(row.events) as RecordedEvent[];
        const first = row.seq === start.seq ? start.index + 1 : 0;
        for (let i = first; i < events.length && found.length < limit; i++) {
          found.push({ position: positionOf(row.seq, i, events.length), event: events[i]! });
        }
        if (found.length === limit) break;
      }
      if (rows.length === 0 || rows.length < Math.min(limit + 1, BATCHES_PER_READ)) break;
      from = rows.at(-1)!.seq + 1;
    }
    return found;
  }

  hasAfter(position: number): boolean {
    const { seq, index } = batchOf(position);
    if (this.query("SELECT seq FROM event_batch WHERE seq > ? LIMIT 1", seq).length > 0) return true;
    if (index === EVENTS_PER_BATCH - 1) return false;
    return (this.batchSize(seq) ?? 0) > index + 1;
  }

  /** How many events batch `seq` holds, or null when there is no such batch. */
  batchSize(seq: number): number | null {
    return (
      this.query<{ n: number }>("SELECT json_array_length(events) AS n FROM event_batch WHERE seq = ?", seq)[0]?.n ??
      null
    );
  }

  /**
   * The position a list cursor stands for, or null when this log could not have issued it:
   * `<seq>` (the end of a batch that exists) or `<seq>.<index>` (an event of it).
   */
  positionOfCursor(cursor: string): number | null {
    const match = /^([1-9][0-9]{0,11})(?:\.([0-9]{1,3}))?$/.exec(cursor);
    if (!match) return null;
    const seq = Number(match[1]);
    const size = this.batchSize(seq);
    if (size === null) return null;
    if (match[2] === undefined) return seq * EVENTS_PER_BATCH + EVENTS_PER_BATCH - 1;
    const index = Number(match[2]);
    return index < size ? positionOf(seq, index, size) : null;
  }

  /** The newest batch's seq (0 for none): it moves whenever events are recorded. */
  lastSeq(): number {
    return this.query<{ n: number | null }>("SELECT MAX(seq) AS n FROM event_batch")[0]?.n ?? 0;
  }
}
