import { MAX_METADATA_KEYS, mergeMetadata, tooManyMetadataKeys } from "../../contract/common";
import type { Customer, CustomerCreate, CustomerUpdate } from "../../contract/customer";
import type { Outcome } from "../../contract/errors";
import { failure, notFound, ok } from "../../contract/errors";
import type { Idempotency } from "../../contract/idempotency";
import { decideCustomerCreate, decideCustomerUpdate } from "../../domain/customer";
import type { Instant } from "../../domain/time";
import { instantFromMillis } from "../../domain/time";
import { testClockStub } from "../stubs";
import type { CustomerContext } from "./context";
import { fieldsOf } from "./payment-details";
import type { PaymentPush } from "./payment-push";
import { persist } from "./persist";

// The customer's own fields: its create and its updates, each one decision
// (src/domain/customer.ts) written by `persist` in one transaction.

export async function createCustomer(
  ctx: CustomerContext,
  push: PaymentPush,
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
      const decision = decideCustomerCreate(
        id,
        clockId,
        {
          email: input.email ?? null,
          name: input.name ?? null,
          paymentMethod: input.payment_method ?? null,
          metadata: input.metadata,
        },
        Math.floor(nowMs / 1000),
      );
      const customer = persist(ctx, push, decision);
      return ok(customer, 201);
    });
  });
}

export async function updateCustomer(
  ctx: CustomerContext,
  push: PaymentPush,
  id: string,
  patch: CustomerUpdate,
  idem: Idempotency | null,
): Promise<Outcome<Customer>> {
  return ctx.requests.run(idem, async () => {
    const at = await customerTime(ctx);
    const outcome = ctx.requests.commit(idem, () => {
      const customer = ctx.load();
      if (!customer || customer.id !== id) return notFound<Customer>("customer", id);
      const metadata = mergeMetadata(customer.metadata, patch.metadata ?? {});
      if (Object.keys(metadata).length > MAX_METADATA_KEYS) return tooManyMetadataKeys<Customer>();
      const decided = decideCustomerUpdate(
        fieldsOf(customer),
        {
          ...(patch.email !== undefined ? { email: patch.email } : {}),
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.payment_method !== undefined ? { paymentMethod: patch.payment_method } : {}),
          metadata,
        },
        at,
      );
      const updated = persist(ctx, push, decided);
      return ok(updated);
    });
    await push.push();
    return outcome;
  });
}

/** The customer's time: its test clock's frozen time when it is on one (and it exists), else now. */
async function customerTime(ctx: CustomerContext): Promise<Instant> {
  const clockId = ctx.load()?.test_clock;
  if (clockId) {
    const clock = await (await testClockStub(ctx.env, clockId))?.get(clockId);
    if (clock?.ok) return clock.value.frozen_time_instant;
  }
  return instantFromMillis(Date.now());
}
