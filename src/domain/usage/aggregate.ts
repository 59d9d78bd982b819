import type { Instant } from "../time";
import type { Decimal } from "./decimal";
import { decimalOfInteger, maxDecimal } from "./decimal";

export type Aggregation = "sum" | "count" | "max" | "last" | "unique_count";

/**
 * The running aggregate of one meter over one usage window (rule 14c), updated per event so
 * the end of a period reads one row and never rescans raw events. `distinct` counts distinct
 * values; which values were seen is kept by the caller (a table keyed by value), which says
 * for each event whether its value is new.
 */
export interface UsageAggregate {
  sum: Decimal;
  count: number;
  max: Decimal | null;
  last: { value: Decimal; timestamp: Instant; seq: number } | null;
  distinct: number;
}

/** One accepted event as aggregation sees it: `seq` is its acceptance order (breaks `last` ties). */
export interface AggregatedEvent {
  /** The decimal value, or null for a `count` or `unique_count` meter. */
  value: Decimal | null;
  timestamp: Instant;
  seq: number;
}

export const EMPTY_AGGREGATE: UsageAggregate = { sum: 0n, count: 0, max: null, last: null, distinct: 0 };

export function addEvent(aggregate: UsageAggregate, event: AggregatedEvent, distinctIsNew: boolean): UsageAggregate {
  const value = event.value;
  const later =
    aggregate.last === null ||
    event.timestamp > aggregate.last.timestamp ||
    (event.timestamp === aggregate.last.timestamp && event.seq > aggregate.last.seq);
  return {
    sum: aggregate.sum + (value ?? 0n),
    count: aggregate.count + 1,
    max: value === null ? aggregate.max : aggregate.max === null ? value : maxDecimal(aggregate.max, value),
    last: value !== null && later ? { value, timestamp: event.timestamp, seq: event.seq } : aggregate.last,
    distinct: aggregate.distinct + (distinctIsNew ? 1 : 0),
  };
}

/** The usage quantity the aggregation gives (0 when no event came). */
export function quantityOf(aggregate: UsageAggregate, aggregation: Aggregation): Decimal {
  switch (aggregation) {
    case "sum":
      return aggregate.sum;
    case "count":
      return decimalOfInteger(aggregate.count);
    case "max":
      return aggregate.max ?? 0n;
    case "last":
      return aggregate.last?.value ?? 0n;
    case "unique_count":
      return decimalOfInteger(aggregate.distinct);
  }
}

/** The aggregate of a whole list of events, distinct values by `key` (for checks and simulations). */
export function aggregateAll(events: readonly (AggregatedEvent & { key: string })[]): UsageAggregate {
  const seen = new Set<string>();
  let aggregate = EMPTY_AGGREGATE;
  for (const event of events) {
    const isNew = !seen.has(event.key);
    seen.add(event.key);
    aggregate = addEvent(aggregate, event, isNew);
  }
  return aggregate;
}
