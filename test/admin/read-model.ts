import { env } from "cloudflare:workers";
import type { SubscriptionSummary } from "../../src/admin/subscription-summary";
import { subscriptionIndexKeys } from "../../src/admin/subscription-summary";

/** The summary KV holds for a subscription now (from its `all` index key), or null. */
export async function kvSummary(subscriptionId: string): Promise<SubscriptionSummary | null> {
  const key = subscriptionIndexKeys({
    id: subscriptionId,
    status: "x",
    plan: "x",
    customer: "x",
  } as SubscriptionSummary)[0]!;
  const listed = await env.BILLIFY_KV.list<SubscriptionSummary>({ prefix: key });
  return listed.keys[0]?.metadata ?? null;
}

/**
 * The read model is eventually consistent (KV writes are coalesced to one per second per key, so
 * a burst of changes lands within a second or two): tests poll it with the shared helper.
 */
export { eventually } from "../poll";
