import type { ListPage } from "../contract/common";
import { listIndexPage } from "../lib/kv-listing";
import type { SubscriptionSummary } from "./subscription-summary";
import { subscriptionIndexPrefix, subscriptionRecordKey } from "./subscription-summary";

interface SubscriptionFilters {
  status?: string;
  plan?: string;
  customer?: string;
  limit: number;
  cursor?: string;
}

type ListedSummary = SubscriptionSummary & { object: "subscription_summary" };

/**
 * GET /v1/admin/subscriptions: lists the most selective index that a filter names
 * (customer, then plan, then status, else all). Without a filter the page is the record keys
 * themselves; with one, each row's record key is read (in parallel) and every filter is
 * applied to the summary found there, so a row whose index key is stale (its status just
 * changed) is left out rather than shown under a status it no longer has. A page therefore
 * holds at most `limit` rows, fewer when filters are combined or a row is in transition.
 */
export async function listSubscriptionSummaries(
  kv: KVNamespace,
  filters: SubscriptionFilters,
): Promise<ListPage<ListedSummary>> {
  const prefix = filters.customer
    ? subscriptionIndexPrefix("customer", filters.customer)
    : filters.plan
      ? subscriptionIndexPrefix("plan", filters.plan)
      : filters.status
        ? subscriptionIndexPrefix("status", filters.status)
        : subscriptionIndexPrefix("all");
  const page = await listIndexPage<SubscriptionSummary | { id: string }>(kv, prefix, filters.limit, filters.cursor);
  const filtered = filters.status !== undefined || filters.plan !== undefined || filters.customer !== undefined;
  const summaries = await Promise.all(
    page.keys.map(async (k) => {
      if (!filtered) return k.metadata as SubscriptionSummary | undefined;
      const id = k.name.slice(k.name.lastIndexOf("/") + 1);
      return (await kv.getWithMetadata<SubscriptionSummary>(subscriptionRecordKey(id))).metadata ?? undefined;
    }),
  );
  const data = summaries
    .filter((s): s is SubscriptionSummary => s !== undefined)
    .filter(
      (s) =>
        (!filters.status || s.status === filters.status) &&
        (!filters.plan || s.plan === filters.plan) &&
        (!filters.customer || s.customer === filters.customer),
    )
    .map(({ id, ...rest }) => ({ id, object: "subscription_summary" as const, ...rest }));
  return { object: "list", data, has_more: page.nextCursor !== null, next_cursor: page.nextCursor };
}
