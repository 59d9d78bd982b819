import type { ListPage } from "../../contract/common";
import type { Customer } from "../../contract/customer";
import type { Outcome } from "../../contract/errors";
import { failure, notFound, ok } from "../../contract/errors";
import type { EventEnvelope } from "../../contract/messages";
import type { EventRow } from "../../notifications/outbox";
import { envelopeOf } from "../../notifications/outbox";
import type { VersionedPaymentDetails } from "../subscription/context";
import type { CustomerContext } from "./context";
import { customerNamed } from "./context";
import { versionedPaymentDetails } from "./payment-details";

// Reads: they write nothing (an unknown id is 404 and creates nothing).

export function getCustomer(ctx: CustomerContext, id: string): Outcome<Customer> {
  const customer = customerNamed(ctx, id);
  return customer ? ok(customer) : notFound("customer", id);
}

/** For a subscription made before it had a copy: the details now, versioned. */
export function paymentDetails(ctx: CustomerContext, customerId: string): Outcome<VersionedPaymentDetails> {
  const customer = customerNamed(ctx, customerId);
  if (!customer) return notFound("customer", customerId);
  return ok(versionedPaymentDetails(ctx, customer));
}

/** A page of the customer's own events, oldest first; the cursor is the last event's sequence number. */
export function listEvents(
  ctx: CustomerContext,
  customerId: string,
  limit: number,
  cursor: string | null,
): Outcome<ListPage<EventEnvelope>> {
  if (!customerNamed(ctx, customerId)) return notFound("customer", customerId);
  const after = cursor === null ? 0 : /^\d{1,15}$/.test(cursor) ? Number(cursor) : -1;
  if (after < 0)
    return failure(400, "parameter_invalid", "Invalid cursor: pass a next_cursor from a previous page.", "cursor");
  const rows = ctx.query<EventRow>(
    "SELECT seq, id, type, created, data FROM event WHERE seq > ? ORDER BY seq LIMIT ?",
    after,
    limit + 1,
  );
  const hasMore = rows.length > limit;
  const page = rows.slice(0, limit);
  return ok({
    object: "list",
    data: page.map(envelopeOf),
    has_more: hasMore,
    next_cursor: hasMore ? String(page.at(-1)!.seq) : null,
  });
}
