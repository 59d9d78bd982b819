import { ulid } from "ulid";
import { MAX_METADATA_KEYS, mergeMetadata, tooManyMetadataKeys } from "../../contract/common";
import type { Customer, CustomerCreate, CustomerUpdate } from "../../contract/customer";
import type { Outcome } from "../../contract/errors";
import { failure, notFound, ok } from "../../contract/errors";
import type { Idempotency } from "../../contract/idempotency";
import { testClockStub } from "../stubs";
import type { CustomerContext } from "./context";
import type { PaymentDetailsPush } from "./payment-details";
import { owePaymentDetails, paymentDetailsOf } from "./payment-details";

// The customer's own fields: its create and its updates, each with its event in the same
// transaction (the outbox sends it after the commit).

export async function createCustomer(
  ctx: CustomerContext,
  id: string,
  input: CustomerCreate,
  nowMs: number,
  idem: Idempotency | null,
): Promise<Outcome<Customer>> {
  return ctx.requests.run(idem, async () => {
    const clockId = input.test_clock ?? null;
    if (clockId) {
      const clock = await (await testClockStub(ctx.env, clockId))?.get(clockId);
      if (!clock?.ok) return failure(400, "resource_missing", `No such test clock: '${clockId}'`, "test_clock");
    }
    return ctx.requests.commit(idem, () => {
      if (ctx.load()) return failure<Customer>(409, "resource_already_exists", `Customer '${id}' already exists`);
      ctx.query(
        `INSERT INTO customer (id, email, name, payment_method, test_clock, metadata, created)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        id,
        input.email ?? null,
        input.name ?? null,
        input.payment_method ?? null,
        clockId,
        JSON.stringify(input.metadata),
        Math.floor(nowMs / 1000),
      );
      ctx.markChanged();
      const customer = ctx.load()!;
      recordEvent(ctx, "customer.created", customer, Math.floor(nowMs / 1000));
      return ok(customer, 201);
    });
  });
}

export async function updateCustomer(
  ctx: CustomerContext,
  push: PaymentDetailsPush,
  id: string,
  patch: CustomerUpdate,
  idem: Idempotency | null,
): Promise<Outcome<Customer>> {
  return ctx.requests.run(idem, async () => {
    const outcome = ctx.requests.commit(idem, () => {
      const customer = ctx.load();
      if (!customer || customer.id !== id) return notFound<Customer>("customer", id);
      const metadata = mergeMetadata(customer.metadata, patch.metadata ?? {});
      if (Object.keys(metadata).length > MAX_METADATA_KEYS) return tooManyMetadataKeys<Customer>();
      ctx.query(
        "UPDATE customer SET email = ?, name = ?, payment_method = ?, metadata = ?",
        patch.email !== undefined ? patch.email : customer.email,
        patch.name !== undefined ? patch.name : customer.name,
        patch.payment_method !== undefined ? patch.payment_method : customer.payment_method,
        JSON.stringify(metadata),
      );
      const version = ctx.markChanged();
      const updated = ctx.load()!;
      if (JSON.stringify(updated) !== JSON.stringify(customer))
        recordEvent(ctx, "customer.updated", updated, Math.floor(Date.now() / 1000));
      // A new payment method (or gateway customer) is owed to every subscription, in this same
      // transaction: the push below, or the alarm after a crash, delivers it.
      const before = paymentDetailsOf(customer);
      const after = paymentDetailsOf(updated);
      if (
        before.paymentMethod !== after.paymentMethod ||
        before.gatewayCustomer !== after.gatewayCustomer ||
        patch.payment_method
      )
        owePaymentDetails(ctx, version, !!patch.payment_method);
      return ok(updated);
    });
    await push.run();
    return outcome;
  });
}

/** In the transaction of the change it reports (API.md §6). */
function recordEvent(
  ctx: CustomerContext,
  type: "customer.created" | "customer.updated",
  customer: Customer,
  at: number,
): void {
  ctx.query(
    "INSERT INTO event (id, type, created, data) VALUES (?, ?, ?, ?)",
    `evt_${ulid()}`,
    type,
    at,
    JSON.stringify({ object: customer }),
  );
}
