import { env } from "cloudflare:workers";
import { vi } from "vitest";
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
 * Waits until the read model shows what `check` wants: KV writes are coalesced to one per
 * second per key, so a burst of changes lands within a second or two.
 */
export async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeout = 10_000,
): Promise<T> {
  return vi.waitFor(
    async () => {
      const value = await read();
      if (!check(value)) throw new Error(`read model not there yet: ${JSON.stringify(value)}`);
      return value;
    },
    { timeout, interval: 100 },
  );
}
