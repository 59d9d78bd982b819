import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { SubscriptionStore } from "../../src/actors/subscription/store";
import type { SubscriptionActor } from "../../src/actors/subscription/subscription-actor";
import { createCustomer, createPlan, ok } from "../helpers";

// The subscription row is read once per synchronous step (subscription-table.ts `load`): the
// copy must never hide a write — its own, a rolled-back one, or one made between two steps.

type Held = { store: SubscriptionStore; transaction<T>(fn: () => T): T };

describe("the subscription row's copy for one step", () => {
  it("is read once per step, follows its own writes, forgets a rolled-back one, and never outlives the step", async () => {
    const customer = await createCustomer();
    const plan = await createPlan({ amount: 400, interval: "month" });
    const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    const stub = env.SUBSCRIPTIONS.getByName(sub.id.slice(-16));
    const seen = await runInDurableObject(stub, (instance: SubscriptionActor) => {
      const { store, transaction } = instance as unknown as Held;
      const before = instance.usage.rowsRead;
      const first = store.load()!;
      const again = store.load()!;
      const readsForTwoLoads = instance.usage.rowsRead - before;
      store.saveState({ ...first.state, quantity: 7 });
      const written = store.load()!;
      let rolledBack = "";
      try {
        transaction.call(instance, () => {
          store.saveState({ ...written.state, quantity: 9 });
          rolledBack = `inside ${store.load()!.state.quantity}`;
          throw new Error("rolled back");
        });
      } catch (error) {
        rolledBack += ` then ${(error as Error).message}`;
      }
      return {
        same: again === first,
        readsForTwoLoads,
        written: [written.state.quantity, written.version - first.version],
        rolledBack,
        afterRollback: store.load()!.state.quantity,
      };
    });
    expect(seen).toEqual({
      same: true,
      readsForTwoLoads: 1,
      written: [7, 1],
      rolledBack: "inside 9 then rolled back",
      afterRollback: 7,
    });
    // A write between two steps (here straight to SQLite, from outside the store) is seen by the next step.
    await runInDurableObject(stub, (instance: SubscriptionActor) => (instance as unknown as Held).store.load());
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE subscription SET quantity = 3");
    });
    const next = await runInDurableObject(
      stub,
      (instance: SubscriptionActor) => (instance as unknown as Held).store.load()!.state.quantity,
    );
    expect(next).toBe(3);
  });
});
