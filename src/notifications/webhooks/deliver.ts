import type { EventEnvelope } from "../../contract/messages";
import type { Backoff } from "../../lib/backoff";
import { backoffDelay } from "../../lib/backoff";
import { SIGNATURE_HEADER, signatureHeader } from "./signature";
import type { EndpointSnapshot } from "./snapshot";

/** The longest a queue message may be delayed (Cloudflare Queues: 12 h). */
const MAX_DELAY_SECONDS = 43_200;
const FIRST_DELAY_SECONDS = 30;
/** A receiver gets this long to answer; a slow one holds only its own message. */
const DELIVERY_TIMEOUT_MS = 10_000;
const DELIVERY_BACKOFF: Backoff = { first: FIRST_DELAY_SECONDS, cap: MAX_DELAY_SECONDS, jitter: 0.25 };

/**
 * The delay before the next try after failed try number `attempt` (1-based): 30 s doubling,
 * capped at 12 h, with jitter taking up to a quarter off so retries after an outage spread out.
 * NOTE: 30·(2^0+…+2^10) s ≈ 17 h for the first 11 retries, then 12 h each: the 24 retries of
 * wrangler.jsonc span ≥ 4.9 days even with the most jitter, past the 3 days that disable an endpoint.
 */
export function backoffSeconds(attempt: number, random: () => number = Math.random): number {
  return Math.max(1, Math.ceil(backoffDelay(attempt, DELIVERY_BACKOFF, random())));
}

type DeliveryResult = { ok: true; status: number } | { ok: false; status: number | null; error: string };

type Fetch = (input: string, init: RequestInit) => Promise<Response>;

/**
 * POSTs the event JSON to one endpoint, signed with each of its current secrets (two during a
 * roll's grace period). Only a 2xx is a success (redirects are not followed).
 */
export async function deliverEvent(
  endpoint: EndpointSnapshot,
  secrets: readonly string[],
  event: EventEnvelope,
  nowMs: number,
  fetcher: Fetch,
): Promise<DeliveryResult> {
  const body = JSON.stringify(event);
  const signature = await signatureHeader(secrets, body, Math.floor(nowMs / 1000));
  try {
    const response = await fetcher(endpoint.url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "User-Agent": "Billify-Webhooks/1.0",
        [SIGNATURE_HEADER]: signature,
        "Billify-Event-Id": event.id,
      },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    await response.body?.cancel();
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    return { ok: false, status: response.status, error: `HTTP ${response.status}` };
  } catch (error) {
    return { ok: false, status: null, error: error instanceof Error ? error.message : String(error) };
  }
}
