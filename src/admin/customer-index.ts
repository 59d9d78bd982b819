import type { ListPage } from "../contract/common";
import type { Customer } from "../contract/customer";
import type { PlatformEnv } from "../lib/env";
import { listIndexPage } from "../lib/kv-listing";
import type { Query } from "../lib/sql";
import { invertedTimeOf, sha256Hex } from "./keys";
import { mirrorTable, writeKeys } from "./mirror-state";
import { MAX_METADATA_BYTES } from "./subscription-summary";

/**
 * The customer listing's KV index (GET /v1/customers), kept by each customer's actor after
 * every change it commits:
 *   admin/cus/all/<inverted ms>/<id>
 *   admin/cus/email/<sha256(email)>/<inverted ms>/<id>   (exact match; any length, no `/` issue)
 * The customer rides in the key's metadata when it fits in 1024 bytes (nearly always; a
 * customer with large metadata is read from the value instead), so a page reads no actor.
 */
const CUSTOMER_INDEX = "admin/cus/";

async function customerKeys(customer: Customer): Promise<string[]> {
  const tail = `${invertedTimeOf(customer.id)}/${customer.id}`;
  const keys = [`${CUSTOMER_INDEX}all/${tail}`];
  if (customer.email) keys.push(`${CUSTOMER_INDEX}email/${await sha256Hex(customer.email)}/${tail}`);
  return keys;
}

export async function mirrorCustomer(
  env: Pick<PlatformEnv, "BILLIFY_KV">,
  query: Query,
  customer: Customer,
  version: number,
  nowMs: number,
): Promise<number | undefined> {
  const value = JSON.stringify({ ...customer, version });
  const metadata =
    new TextEncoder().encode(value).byteLength <= MAX_METADATA_BYTES
      ? { ...customer, version }
      : { id: customer.id, version };
  // A customer's keys all carry it (the listing reads no value when it fits), so all are rewritten.
  const entries = (await customerKeys(customer)).map((key) => ({ key, value, metadata, refresh: true }));
  return writeKeys(env.BILLIFY_KV, mirrorTable(query), version, entries, nowMs);
}

type Listed = Customer & { version?: number };

export async function listCustomers(
  kv: KVNamespace,
  query: { email?: string; limit: number; cursor?: string },
): Promise<ListPage<Customer>> {
  const prefix =
    query.email === undefined ? `${CUSTOMER_INDEX}all/` : `${CUSTOMER_INDEX}email/${await sha256Hex(query.email)}/`;
  const page = await listIndexPage<Listed | { id: string; version: number }>(kv, prefix, query.limit, query.cursor);
  const customers = await Promise.all(
    page.keys.map(async (key) => {
      const meta = key.metadata;
      const full = meta && "object" in meta ? meta : await kv.get<Listed>(key.name, "json");
      if (!full) return null;
      const { version: _version, ...customer } = full;
      return customer;
    }),
  );
  return {
    object: "list",
    data: customers.filter((c): c is Customer => c !== null),
    has_more: page.nextCursor !== null,
    next_cursor: page.nextCursor,
  };
}
