/**
 * Spreading a herd of renewals that fall due at one instant (the 1st of the month, an import):
 * each subscription's renewal *alarm* fires a deterministic offset after its due time, inside
 * BILLIFY_RENEWAL_SPREAD_SECONDS. The renewal itself is still decided and dated at its due time
 * (a job runs at its own due time, whenever its alarm fires), and a request that arrives in
 * between runs it first; only the moment the work is done moves, so a million alarms do not
 * all wake the read model, the metrics shards and the pacer in the same second.
 */

/** FNV-1a of a string: stable across runs and machines. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** BILLIFY_RENEWAL_SPREAD_SECONDS → seconds (0: every renewal alarm at its due time). */
export function parseRenewalSpread(value: string | undefined): number {
  const trimmed = value?.trim();
  if (!trimmed) return 0;
  const seconds = /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isInteger(seconds) || seconds > 3_600) {
    throw new Error(
      `BILLIFY_RENEWAL_SPREAD_SECONDS must be whole seconds between 0 and 3600, e.g. "60"; got "${value}"`,
    );
  }
  return seconds;
}

/** The renewal alarm's offset after its due time, in milliseconds: the same for a subscription every period. */
export function renewalOffsetMs(subscriptionId: string, spreadSeconds: number): number {
  if (spreadSeconds <= 0) return 0;
  return fnv1a(subscriptionId) % (spreadSeconds * 1000);
}
