/**
 * Time on the billing path is a whole number of seconds since the Unix epoch, UTC.
 * The API speaks ISO 8601 with second precision ("2026-01-31T10:00:00Z").
 */
export type Instant = number;

export const SECONDS_PER_DAY = 86_400;

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Formats an instant as `YYYY-MM-DDTHH:MM:SSZ`. */
export function toIso(instant: Instant): string {
  return new Date(instant * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Formats an instant's UTC calendar date as `YYYY-MM-DD` (used in line descriptions). */
export function toIsoDate(instant: Instant): string {
  return toIso(instant).slice(0, 10);
}

/**
 * Parses an ISO 8601 timestamp with an explicit offset. Fractions of a second are
 * truncated: billing runs to the second. Returns null for anything else.
 */
export function parseIso(text: string): Instant | null {
  const match = ISO_INSTANT.exec(text);
  if (!match) return null;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return null;
  const [, y, mo, d, h, mi, s] = match;
  // Date.parse rolls Feb 30 over to Mar 2; a calendar date that does not exist is invalid.
  const roundTrip = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  if (
    roundTrip.getUTCMonth() !== Number(mo) - 1 ||
    roundTrip.getUTCDate() !== Number(d) ||
    roundTrip.getUTCHours() !== Number(h) ||
    roundTrip.getUTCMinutes() !== Number(mi) ||
    roundTrip.getUTCSeconds() !== Number(s)
  ) {
    return null;
  }
  return Math.floor(ms / 1000);
}

/** Converts epoch milliseconds (the platform clock) to an instant. */
export function instantFromMillis(ms: number): Instant {
  return Math.floor(ms / 1000);
}
