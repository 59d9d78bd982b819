/** Types for clients/billify-signature.mjs (plain Node ESM). */

export const TOLERANCE_SECONDS: number;

/** Verifies `Billify-Signature` (constant time, 300 s tolerance) and returns the parsed event; throws otherwise. */
export function verifyBillifySignature(
  rawBody: string | { toString(encoding: "utf8"): string },
  header: string | string[] | undefined | null,
  secret: string,
  nowSeconds?: number,
): { id: string; object: "event"; type: string; created: string; data: { object: Record<string, any> } };
