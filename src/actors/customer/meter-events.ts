import type { ErrorBody } from "../../contract/errors";
import type { MeterEvent } from "../../contract/meter";
import type { Instant } from "../../domain/time";
import { SECONDS_PER_DAY, toIso } from "../../domain/time";
import type { Query } from "../../lib/sql";

// Meter events on the customer's actor (docs/billing-rules.md rules 14a and 14h). The customer is where an event
// is deduplicated and made durable: one request per customer per batch, one transaction that
// records each identifier together with the event. The table is also the log its subscriptions
// count from: each keeps the last seq it counted, so a redelivery is counted once.

export const METER_EVENT_TABLE = `CREATE TABLE meter_event (
     seq INTEGER PRIMARY KEY, event_name TEXT NOT NULL, identifier TEXT NOT NULL, timestamp INTEGER NOT NULL,
     value TEXT, payload TEXT NOT NULL, created INTEGER NOT NULL)`;
export const METER_EVENT_INDEX = "CREATE UNIQUE INDEX meter_event_identifier ON meter_event (event_name, identifier)";

/** Rule 14a's window around the customer's clock. */
export const MAX_EVENT_AGE = 35 * SECONDS_PER_DAY;
export const MAX_EVENT_SKEW = 5 * 60;

/** An event the router validated against its meter; the customer checks the rest. */
export interface IngestEvent {
  event_name: string;
  identifier: string;
  /** null: now on the customer's clock. */
  timestamp: Instant | null;
  /** The meter's value: a decimal string (sum, max, last), the distinct key (unique_count), or null (count). */
  value: string | null;
  payload: Record<string, string | number>;
}

/** A refusal of one event of a batch; `param` is relative to the event. */
export interface IngestRefusal {
  index: number;
  code: string;
  message: string;
  param: string;
}

export type IngestAnswer =
  | { ok: true; events: { event: MeterEvent; duplicate: boolean }[]; replayed?: boolean }
  /** `error`: an idempotency refusal (409, 422), answered as it is. */
  | { ok: false; status: number; refusal: IngestRefusal; error?: ErrorBody };

/** What a subscription counts of an event. */
export interface UsageEvent {
  seq: number;
  event_name: string;
  timestamp: Instant;
  value: string | null;
}

interface MeterEventRow {
  seq: number;
  event_name: string;
  identifier: string;
  timestamp: number;
  value: string | null;
  payload: string;
  created: number;
}

/** The first event whose timestamp is outside [now − 35 d, now + 5 min], or null. */
export function timestampRefusal(events: readonly IngestEvent[], now: Instant): IngestRefusal | null {
  for (const [index, event] of events.entries()) {
    const ts = event.timestamp;
    if (ts === null) continue;
    if (ts < now - MAX_EVENT_AGE)
      return {
        index,
        code: "timestamp_too_old",
        message: "timestamp is more than 35 days in the past of the customer's clock",
        param: "timestamp",
      };
    if (ts > now + MAX_EVENT_SKEW)
      return {
        index,
        code: "timestamp_in_future",
        message: "timestamp is more than 5 minutes in the future of the customer's clock",
        param: "timestamp",
      };
  }
  return null;
}

/**
 * Inside one transaction: records each event unless its identifier is already recorded for its
 * event_name (then answers the stored event). Returns the answers in order.
 */
export function recordEvents(
  query: Query,
  events: readonly IngestEvent[],
  now: Instant,
): { event: MeterEvent; duplicate: boolean }[] {
  return events.map((event) => {
    const inserted = query<{ seq: number }>(
      `INSERT INTO meter_event (event_name, identifier, timestamp, value, payload, created) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (event_name, identifier) DO NOTHING RETURNING seq`,
      event.event_name,
      event.identifier,
      event.timestamp ?? now,
      event.value,
      JSON.stringify(event.payload),
      now,
    );
    const row = query<MeterEventRow>(
      "SELECT * FROM meter_event WHERE event_name = ? AND identifier = ?",
      event.event_name,
      event.identifier,
    )[0]!;
    return { event: meterEventView(row), duplicate: inserted.length === 0 };
  });
}

export function meterEventView(row: MeterEventRow): MeterEvent {
  return {
    object: "meter_event",
    event_name: row.event_name,
    identifier: row.identifier,
    timestamp: toIso(row.timestamp),
    payload: JSON.parse(row.payload) as Record<string, string | number>,
    created: toIso(row.created),
  };
}

export function lastEventSeq(query: Query): number {
  // No row before the table is made (schema.ts: on demand).
  return query<{ n: number }>("SELECT COALESCE(MAX(seq), 0) AS n FROM meter_event")[0]?.n ?? 0;
}

/** The events after a subscription's cursor, oldest first. */
export function eventsAfter(query: Query, after: number, limit: number): UsageEvent[] {
  return query<UsageEvent>(
    "SELECT seq, event_name, timestamp, value FROM meter_event WHERE seq > ? ORDER BY seq LIMIT ?",
    after,
    limit,
  );
}
