import type { Env } from "../actors/env";
import { customerStub, invoiceStub, subscriptionStub } from "../actors/stubs";
import type { ListPage } from "../contract/common";
import type { Outcome } from "../contract/errors";
import { notFound, ok } from "../contract/errors";
import type { Invoice } from "../contract/invoice";
import type { Subscription } from "../contract/subscription";
import { ApiError } from "../lib/errors";

/**
 * A customer's subscriptions: ids from the customer's own index (strongly consistent), each
 * read from its actor. The cursor is the last subscription id of the previous page.
 */
export async function listCustomerSubscriptions(
  env: Env,
  customerId: string,
  limit: number,
  cursor: string | null,
): Promise<Outcome<ListPage<Subscription>>> {
  const customer = customerStub(env, customerId);
  if (!customer) return notFound("customer", customerId);
  if (cursor !== null) {
    const last = await subscriptionStub(env, cursor)?.get(cursor);
    if (!last?.ok || last.value.customer !== customerId) throw foreignCursor();
  }
  const page = await customer.subscriptionIds(customerId, limit, cursor);
  if (!page.ok) return page;
  const subs = await Promise.all(page.value.ids.map(async (id) => subscriptionStub(env, id)?.get(id)));
  const data = subs.flatMap((s) => (s?.ok ? [s.value] : []));
  return ok({
    object: "list",
    data,
    has_more: page.value.hasMore,
    next_cursor: page.value.hasMore ? page.value.ids.at(-1)! : null,
  });
}

/**
 * All invoices of a customer's subscriptions, newest first: each subscription gives its
 * newest `limit` before the cursor and the pages are merged. Invoice ids sort by creation.
 */
export async function listCustomerInvoices(
  env: Env,
  customerId: string,
  limit: number,
  cursor: string | null,
): Promise<Outcome<ListPage<Invoice>>> {
  const customer = customerStub(env, customerId);
  if (!customer) return notFound("customer", customerId);
  if (cursor !== null) {
    const last = await invoiceStub(env, cursor)?.invoice(cursor);
    if (!last?.ok || last.value.customer !== customerId) throw foreignCursor();
  }
  const ids = await customer.allSubscriptionIds(customerId);
  if (!ids.ok) return ids;
  const pages = await Promise.all(
    ids.value.map(async (id) => {
      const page = await subscriptionStub(env, id)?.invoices(id, limit + 1, cursor);
      return page?.ok ? page.value.data : [];
    }),
  );
  const merged = pages.flat().sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const data = merged.slice(0, limit);
  const hasMore = merged.length > limit;
  return ok({ object: "list", data, has_more: hasMore, next_cursor: hasMore ? data.at(-1)!.id : null });
}

/** A cursor is the last id of the previous page: an object of another customer was never one of this list's. */
function foreignCursor(): ApiError {
  return new ApiError(
    400,
    "parameter_invalid",
    "Invalid cursor: pass a next_cursor from a previous page of this list.",
    "cursor",
  );
}
