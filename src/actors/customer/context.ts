import type { Customer } from "../../contract/customer";
import { toIso } from "../../domain/time";
import type { Query } from "../../lib/sql";
import type { IdempotentRequests } from "../capabilities/idempotent-requests";
import type { Env } from "../env";

/** What the customer's topic files (profile, payment-details, subscription-refs, reads) may use of its actor. */
export interface CustomerContext {
  env: Env;
  query: Query;
  /** Statements on `portal_session` and on `meter_event`: tables made on demand (schema.ts). */
  portalSessions: Query;
  meterEvents: Query;
  /** One atomic change, the alarm set with it. */
  transaction<T>(fn: () => T): T;
  requests: IdempotentRequests;
  /** The stored customer, or null before its create. */
  load(): Customer | null;
  /** Inside the transaction of every change: the listing must show it. Returns the customer's new version. */
  markChanged(): number;
  /** The customer's version (it also versions the payment details). */
  version(): number;
}

interface CustomerRow {
  id: string;
  email: string | null;
  name: string | null;
  payment_method: string | null;
  test_clock: string | null;
  metadata: string;
  created: number;
}

export function loadCustomer(query: Query): Customer | null {
  const row = query<CustomerRow>("SELECT * FROM customer")[0];
  if (!row) return null;
  return {
    id: row.id,
    object: "customer",
    email: row.email,
    name: row.name,
    payment_method: row.payment_method,
    test_clock: row.test_clock,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    created: toIso(row.created),
  };
}

/** The stored customer if it is `id`, else null. */
export function customerNamed(ctx: CustomerContext, id: string): Customer | null {
  const customer = ctx.load();
  return customer && customer.id === id ? customer : null;
}
