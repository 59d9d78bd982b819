import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { subscriptionStub } from "../../src/actors/stubs";
import { positionOf } from "../../src/actors/subscription/event-log";
import type { SubscriptionActor } from "../../src/actors/subscription/subscription-actor";
import { verifySignature } from "../../src/notifications/webhooks/signature";
import { ok, subscribeOnClock } from "../helpers";
import { eventually, received, receiverBase, uniquePath } from "./receiver";

interface Hook {
  id: string;
  secret: string;
  path: string;
}

async function registerHook(events: string[] = ["*"]): Promise<Hook> {
  const path = uniquePath();
  const hook = await ok("POST", "/v1/webhook_endpoints", { url: `${receiverBase()}${path}`, enabled_events: events });
  return { id: hook.id, secret: hook.secret, path };
}

/** The deliveries at `path` once there are `count` (and one of type `including`, when given). */
async function deliveriesAt(path: string, count: number, including?: string) {
  const requests = await eventually(
    () => received(path),
    (r) => r.length >= count && (!including || r.some((x) => JSON.parse(x.body).type === including)),
    { what: `${count} deliveries at ${path}` },
  );
  const events = requests.map((r) => JSON.parse(r.body) as { id: string; type: string });
  return { types: events.map((e) => e.type), ids: events.map((e) => e.id) };
}

async function eventTypesAt(path: string, count: number): Promise<string[]> {
  return (await deliveriesAt(path, count)).types;
}

/** Every recorded event in log order, its batch, and whether the outbox has sent it. */
async function outboxRows(subscriptionId: string) {
  return runInDurableObject(subscriptionStub(env, subscriptionId)!, (_instance: SubscriptionActor, state) => {
    const sql = state.storage.sql;
    const sentUpTo =
      sql.exec<{ value: number }>("SELECT value FROM _meta WHERE key = 'outbox_position'").toArray()[0]?.value ?? 0;
    return sql
      .exec<{ seq: number; events: string }>("SELECT seq, events FROM event_batch ORDER BY seq")
      .toArray()
      .flatMap(({ seq, events }) => {
        const batch = JSON.parse(events) as { type: string }[];
        // Sent: at or below the outbox's watermark.
        return batch.map(({ type }, i) => ({
          type,
          batch: seq,
          delivered: positionOf(seq, i, batch.length) <= sentUpTo ? 1 : 0,
        }));
      });
  });
}

describe("outbox → queue → consumer → webhook", { timeout: 30_000 }, () => {
  it("delivers every event of a new subscription, signed, once each, and marks them sent in causal order", async () => {
    const hook = await registerHook();
    const { subscription, customer } = await subscribeOnClock("2026-01-31T10:00:00Z", { amount: 2000 });

    const types = await eventTypesAt(hook.path, 6);
    // Once each: a later event (the customer's update, sent after the outbox's watermark covered
    // every one of these) arrives behind any copy of them, and then every recorded event has been
    // delivered exactly once.
    await eventually(
      () => outboxRows(subscription.id),
      (rows) => rows.length === 5 && rows.every((r) => r.delivered === 1),
      { what: "the outbox's watermark past every event" },
    );
    await ok("PATCH", `/v1/customers/${customer.id}`, { name: "Watermark" });
    const deliveredIds = (await deliveriesAt(hook.path, 7, "customer.updated")).ids;
    const recorded = [
      ...(await ok("GET", `/v1/customers/${customer.id}/events?limit=100`)).data,
      ...(await ok("GET", `/v1/subscriptions/${subscription.id}/events?limit=100`)).data,
    ].map((e: { id: string }) => e.id);
    expect(new Set(recorded).size).toBe(7);
    expect([...deliveredIds].sort()).toEqual([...recorded].sort());
    // Each delivery is its own message, so receivers see them in any order (docs/billing-rules.md, Events)...
    expect([...types].sort()).toEqual(
      [
        "customer.created",
        "subscription.created",
        "invoice.created",
        "invoice.finalized",
        "payment.succeeded",
        "invoice.paid",
      ].sort(),
    );

    for (const request of await received(hook.path)) {
      expect(request.method).toBe("POST");
      expect(request.headers["content-type"]).toBe("application/json");
      const verified = await verifySignature(
        request.headers["billify-signature"] ?? null,
        request.body,
        hook.secret,
        Math.floor(Date.now() / 1000),
      );
      expect(verified.ok).toBe(true);
      const event = JSON.parse(request.body) as {
        id: string;
        object: string;
        data: { object: { customer?: string; id: string } };
      };
      expect(event.object).toBe("event");
      expect(request.headers["billify-event-id"]).toBe(event.id);
    }
    const invoicePaid = (await received(hook.path))
      .map((r) => JSON.parse(r.body))
      .find((e) => e.type === "invoice.paid");
    expect(invoicePaid.data.object).toMatchObject({
      subscription: subscription.id,
      customer: customer.id,
      amount_paid: 2000,
      status: "paid",
    });

    // ...while the actor sent them in the order it recorded them (its events list), each once.
    const rows = await outboxRows(subscription.id);
    const listed = await ok("GET", `/v1/subscriptions/${subscription.id}/events`);
    expect(rows.map((r) => r.type)).toEqual(listed.data.map((e: { type: string }) => e.type));
    expect(rows.map((r) => r.type)).toEqual([
      "subscription.created",
      "invoice.created",
      "invoice.finalized",
      "payment.succeeded",
      "invoice.paid",
    ]);
    expect(rows.map((r) => r.delivered)).toEqual([1, 1, 1, 1, 1]);
    // One row per decision: the create's three events, then the payment's two.
    const [created, paid] = [rows[0]!.batch, rows[3]!.batch];
    expect(rows.map((r) => r.batch)).toEqual([created, created, created, paid, paid]);
    expect(paid).toBeGreaterThan(created);
  });

  it("sends only the types an endpoint enabled", async () => {
    const hook = await registerHook(["invoice.paid"]);
    const all = await registerHook(["*"]);
    await subscribeOnClock("2026-02-01T00:00:00Z");
    // Every event has been fanned out once an endpoint taking them all has its six (the
    // consumer sends each event's deliveries to every matching endpoint together).
    await eventTypesAt(all.path, 6);
    expect(await eventTypesAt(hook.path, 1)).toEqual(["invoice.paid"]);
    expect((await received(hook.path)).length).toBe(1);
  });

  it("sends, from the alarm, an event committed just before a crash that lost the send", async () => {
    const hook = await registerHook(["subscription.canceled"]);
    const { subscription } = await subscribeOnClock("2026-03-01T00:00:00Z");
    const stub = subscriptionStub(env, subscription.id)!;
    await eventually(
      () => outboxRows(subscription.id),
      (rows) => rows.every((r) => r.delivered === 1),
    );

    // The queue is unreachable for this instance: the commit happens, the send fails.
    await runInDurableObject(stub, (instance: SubscriptionActor) => {
      const outbox = (instance as unknown as { outbox: { queue: Queue } }).outbox;
      outbox.queue = {
        send: async () => {
          throw new Error("network lost");
        },
        sendBatch: async () => {
          throw new Error("network lost");
        },
      } as unknown as Queue;
    });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const canceled = await ok("POST", `/v1/subscriptions/${subscription.id}/cancel`, {});
    expect(canceled.status).toBe("canceled");
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("not sent yet; the alarm will retry"), expect.any(Error));
    warn.mockRestore();

    expect((await outboxRows(subscription.id)).at(-1)).toMatchObject({ type: "subscription.canceled", delivered: 0 });
    const alarm = await runInDurableObject(stub, (_i: SubscriptionActor, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm! - Date.now()).toBeLessThanOrEqual(10_000);

    // The process dies (in-memory state gone, the broken queue with it); the alarm fires.
    await evictDurableObject(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await outboxRows(subscription.id)).at(-1)).toMatchObject({ type: "subscription.canceled", delivered: 1 });
    expect(await eventTypesAt(hook.path, 1)).toEqual(["subscription.canceled"]);
  });
});
