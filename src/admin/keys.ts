import { decodeTime } from "ulid";

/**
 * Newest-first order in KV (which lists keys ascending): 14 digits of
 * 99,999,999,999,999 − the creation time in ms, read from the id's ULID.
 */
export function invertedTimeOf(id: string): string {
  const ulid = id.slice(id.indexOf("_") + 1);
  const ms = decodeTime(ulid);
  return String(99_999_999_999_999 - ms).padStart(14, "0");
}

/** Hex SHA-256, for values that may not fit a key (an email) or must not appear in one. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
