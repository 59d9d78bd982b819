import { decodeTime } from "ulid";
import { invertedMs } from "../lib/kv-keys";

/**
 * Newest-first order in KV (which lists keys ascending): 14 digits of
 * 99,999,999,999,999 − the creation time in ms, read from the id's ULID.
 */
export function invertedTimeOf(id: string): string {
  const ulid = id.slice(id.indexOf("_") + 1);
  const ms = decodeTime(ulid);
  return invertedMs(ms);
}

/** Hex SHA-256, for values that may not fit a key (an email) or must not appear in one. */
export { sha256Hex } from "../lib/bytes";
