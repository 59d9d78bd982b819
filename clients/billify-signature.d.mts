/** Types for clients/billify-signature.mjs (plain Node ESM), with the typed client's Event. */
import type { components } from "./billify";

export const TOLERANCE_SECONDS: number;

/** Verifies `Billify-Signature` (constant time, 300 s tolerance) and returns the parsed event; throws otherwise. */
export function verifyBillifySignature(
  rawBody: string | { toString(encoding: "utf8"): string },
  header: string | string[] | undefined | null,
  secret: string,
  nowSeconds?: number,
): components["schemas"]["Event"];
