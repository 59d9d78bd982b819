/**
 * Newest-first order in KV (which lists keys ascending): `digits` digits of 10^digits − 1 − the
 * time in ms. Fourteen digits (99,999,999,999,999 − ms) for the indexes and the plan catalog;
 * thirteen (9,999,999,999,999 − ms) for the dead letters and the email log, whose keys predate
 * the wider form and stay as they are.
 */
export function invertedMs(ms: number, digits: 13 | 14 = 14): string {
  return String(10 ** digits - 1 - ms).padStart(digits, "0");
}
