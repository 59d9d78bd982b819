import type { PlatformEnv } from "../../lib/env";

/**
 * The one KV key holding every endpoint, without its secrets: the consumer takes those from the
 * endpoints actor once per batch (`signingSecrets`), so a KV export or a leaked KV token reveals
 * no signing secret.
 */
export const ENDPOINTS_KEY = "webhooks/endpoints";
/** The singleton's name. It is on the write path only (routes, failure-state changes). */
export const ENDPOINTS_ACTOR = "account";

export interface EndpointSnapshot {
  id: string;
  url: string;
  enabled_events: string[];
  status: "enabled" | "disabled";
  failing_since_ms: number | null;
}

/**
 * Every endpoint, as of the last change: one KV read per consumer batch (edge-cached for 60 s,
 * so an edit reaches deliveries within a minute).
 */
export async function readEndpoints(env: Pick<PlatformEnv, "BILLIFY_KV">): Promise<EndpointSnapshot[]> {
  return (await env.BILLIFY_KV.get<EndpointSnapshot[]>(ENDPOINTS_KEY, { type: "json", cacheTtl: 60 })) ?? [];
}

export function matches(endpoint: EndpointSnapshot, eventType: string): boolean {
  return (
    endpoint.status === "enabled" &&
    (endpoint.enabled_events.includes("*") || endpoint.enabled_events.includes(eventType))
  );
}
