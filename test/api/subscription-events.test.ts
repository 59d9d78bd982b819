import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { subscriptionStub } from "../../src/actors/stubs";
import type { SubscriptionActor } from "../../src/actors/subscription/subscription-actor";
import { advance, api, ok, subscribeOnClock } from "../helpers";
import { expectError } from "./expect";

interface ListedEvent {
  id: string;
  type: string;
  created: string;
  data: { object: { id: string; object: string } };
}

/** The subscription's event rows as stored: one per decision, its events' types in order. */
async function eventRows(subscriptionId: string) {
  return runInDurableObject(subscriptionStub(env, subscriptionId)!, (_i: SubscriptionActor, state) =>
    state.storage.sql
      .exec<{ seq: number; events: string }>("SELECT seq, events FROM event_batch ORDER BY seq")
      .toArray()
      .map((row) => ({ seq: row.seq, types: (JSON.parse(row.events) as { type: string }[]).map((e) => e.type) })),
  );
}

async function allEvents(subscriptionId: string): Promise<ListedEvent[]> {
  const page = await ok("GET", `/v1/subscriptions/${subscriptionId}/events?limit=100`);
  expect(page.has_more).toBe(false);
  return page.data;
}

/** A monthly subscription on a clock that has renewed once, paid. */
async function renewedOnce() {
  const { clock, subscription } = await subscribeOnClock("2026-01-10T00:00:00Z", { amount: 2500 });
  const before = await eventRows(subscription.id);
  await advance(clock.id, "2026-02-10T00:00:30Z");
  return { subscription, before, after: await eventRows(subscription.id) };
}

describe("a subscription's events, stored one row per decision", () => {
  it("a paid renewal writes one event row for its decision and one for its payment; the API lists each event with its own id, in causal order", async () => {
    const { subscription, before, after } = await renewedOnce();
    // Creation: the create's decision (3 events), then its first payment's (2).
    expect(before.map((row) => row.types)).toEqual([
      ["subscription.created", "invoice.created", "invoice.finalized"],
      ["payment.succeeded", "invoice.paid"],
    ]);
    // The month: the reminder 7 days ahead (its own job), the renewal's decision, its payment's.
    const added = after.slice(before.length);
    expect(added.map((row) => row.types)).toEqual([
      ["invoice.upcoming"],
      ["subscription.updated", "invoice.created", "invoice.finalized"],
      ["payment.succeeded", "invoice.paid"],
    ]);

    const events = await allEvents(subscription.id);
    expect(events).toHaveLength(11);
    expect(new Set(events.map((e) => e.id)).size).toBe(11);
    for (const e of events) expect(e.id).toMatch(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(events.map((e) => e.type)).toEqual(after.flatMap((row) => row.types));
    // The renewal's invoice: created < finalized < payment < paid, exactly once each.
    const renewal = events.slice(-5);
    expect(renewal.map((e) => e.type)).toEqual([
      "subscription.updated",
      "invoice.created",
      "invoice.finalized",
      "payment.succeeded",
      "invoice.paid",
    ]);
    const invoice = renewal[1]!.data.object.id;
    expect(renewal.slice(1).map((e) => e.data.object.object)).toEqual(["invoice", "invoice", "payment", "invoice"]);
    expect([renewal[1], renewal[2], renewal[4]].map((e) => e!.data.object.id)).toEqual([invoice, invoice, invoice]);
    expect(renewal[4]!.data.object).toMatchObject({ status: "paid", amount_paid: 2500 });
    expect(renewal.map((e) => e.created)).toEqual(Array(5).fill("2026-02-10T00:00:00Z"));
    expect(events.find((e) => e.type === "invoice.upcoming")!.created).toBe("2026-02-03T00:00:00Z");
  });

  it("pages with every limit from 1 to N walk every event exactly once, across and inside rows", async () => {
    const { subscription } = await renewedOnce();
    const all = await allEvents(subscription.id);
    const ids = all.map((e) => e.id);
    for (let limit = 1; limit <= ids.length; limit++) {
      const walked: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `&cursor=${cursor}` : "";
        const page = await ok("GET", `/v1/subscriptions/${subscription.id}/events?limit=${limit}${query}`);
        expect(page.data.length).toBeLessThanOrEqual(limit);
        expect(page.has_more).toBe(page.next_cursor !== null);
        walked.push(...page.data.map((e: ListedEvent) => e.id));
        cursor = page.next_cursor;
        pages++;
      } while (cursor !== null);
      expect(walked, `limit ${limit}`).toEqual(ids);
      expect(pages, `limit ${limit}`).toBe(Math.ceil(ids.length / limit));
    }
    // A cursor inside a row and one at its end, as issued.
    expect((await ok("GET", `/v1/subscriptions/${subscription.id}/events?limit=2`)).next_cursor).toMatch(/^\d+\.1$/);
    expect((await ok("GET", `/v1/subscriptions/${subscription.id}/events?limit=3`)).next_cursor).toMatch(/^\d+$/);
  });

  it("refuses a cursor it did not issue with 400 param cursor", async () => {
    const { subscription } = await renewedOnce();
    const rows = await eventRows(subscription.id);
    const first = rows[0]!.seq;
    const last = rows.at(-1)!.seq;
    for (const cursor of [
      "abc",
      "0",
      "-1",
      `${first}.3`,
      `${first}.1.1`,
      `${last + 1}`,
      `${last + 1}.0`,
      "1e3",
      "1.x",
    ]) {
      expectError(
        await api("GET", `/v1/subscriptions/${subscription.id}/events?cursor=${encodeURIComponent(cursor)}`),
        400,
        "invalid_request_error",
        "cursor",
        "parameter_invalid",
      );
    }
    // Cursors it could have issued: inside the first row, and at its end (also every cursor issued before rows held batches).
    const inside = await ok("GET", `/v1/subscriptions/${subscription.id}/events?limit=100&cursor=${first}.0`);
    expect(inside.data.map((e: ListedEvent) => e.type).slice(0, 2)).toEqual(["invoice.created", "invoice.finalized"]);
    const end = await ok("GET", `/v1/subscriptions/${subscription.id}/events?limit=100&cursor=${first}`);
    expect(end.data[0].type).toBe("payment.succeeded");
  });
});
