import type { ListPage } from "../contract/common";
import { listIndexPage } from "./kv-listing";
import type { SubscriptionSummary } from "./subscription-summary";
import { subscriptionIndexPrefix } from "./subscription-summary";

export interface SubscriptionFilters {
  status?: string;
  plan?: string;
  customer?: string;
  limit: number;
  cursor?: string;
}

export type ListedSummary = SubscriptionSummary & { object: "subscription_summary" };

/**
 * GET /v1/admin/subscriptions: lists the most selective index that a filter names
 * (customer, then plan, then status, else all) and applies any other filter to each row's
 * metadata. A page therefore holds at most `limit` rows, fewer when filters are combined.
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
  const page = await listIndexPage<SubscriptionSummary>(kv, prefix, filters.limit, filters.cursor);
  const data = page.keys
    .map((k) => k.metadata)
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
