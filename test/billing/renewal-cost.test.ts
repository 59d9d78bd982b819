import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { SubscriptionActor } from "../../src/actors/subscription/subscription-actor";
import { advance, invoicesOf, ok, subscribeOnClock } from "../helpers";

// Issue 21, item 3: a renewal's work is constant, however long the subscription's history.
// Rows read are counted by the actor's own SQL helper (`Actor.usage`, the cursor's `rowsRead`),
// over one renewal (alarm → renew → invoice → attempt → persist → outbox → read model) of a
// subscription with 3 invoices and of one with 300 (average of three), on a daily plan on a test clock.

const DAY = 86_400;
const START = Date.parse("2026-01-01T00:00:00Z") / 1000;
const iso = (t: number) => new Date(t * 1000).toISOString().replace(".000Z", "Z");

type Stub = DurableObjectStub<SubscriptionActor>;

const usage = (stub: Stub) => runInDurableObject(stub, (instance: SubscriptionActor) => ({ ...instance.usage }));

/** Waits until the actor has nothing left to do after the answer (outbox, read model). */
async function settled(stub: Stub): Promise<{ rowsRead: number; rowsWritten: number }> {
  let last = await usage(stub);
  for (let quiet = 0; quiet < 3; ) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    const now = await usage(stub);
    quiet = now.rowsRead === last.rowsRead && now.rowsWritten === last.rowsWritten ? quiet + 1 : 0;
    last = now;
  }
  return last;
}

/** Renewals measured per subscription: the average smooths the read model's one-write-per-second coalescing. */
const RENEWALS = 3;

/** A subscription on a daily plan with `invoices` paid invoices, and the rows a further renewal reads and writes (average of RENEWALS). */
async function renewalsAfter(invoices: number, plan: Record<string, unknown> = {}) {
  const { clock, subscription } = await subscribeOnClock(iso(START), { amount: 100, interval: "day", ...plan });
  const stub = env.SUBSCRIPTIONS.getByName(subscription.id.slice(-16)) as Stub;
  await advance(clock.id, iso(START + (invoices - 1) * DAY));
  expect(await invoicesOf(subscription.id)).toHaveLength(Math.min(invoices, 100));
  const before = await settled(stub);
  await advance(clock.id, iso(START + (invoices + RENEWALS - 1) * DAY));
  const after = await settled(stub);
  const history = await invoicesOf(subscription.id);
  expect(history.slice(-RENEWALS).map((i) => [i.period_start, i.status])).toEqual(
    Array.from({ length: RENEWALS }, (_, k) => [iso(START + (invoices + k) * DAY), "paid"]),
  );
  return {
    rowsRead: (after.rowsRead - before.rowsRead) / RENEWALS,
    rowsWritten: (after.rowsWritten - before.rowsWritten) / RENEWALS,
  };
}

describe("the cost of a renewal", () => {
  it("reads the same rows for a subscription with 3 invoices as for one with 300", async () => {
    const young = await renewalsAfter(3);
    const old = await renewalsAfter(300);
    const seen = `rows per renewal: 3 invoices ${JSON.stringify(young)}, 300 invoices ${JSON.stringify(old)}`;
    expect(young.rowsRead).toBeGreaterThan(0);
    // NOTE: the tolerance is the read model's coalescing (a KV write deferred to the alarm reads
    // its ~15 rows again): a scan of the history would add hundreds (it read 1465 against 270
    // before `open_from`), and even a scan of 30 invoices would fail this.
    expect(Math.abs(old.rowsRead - young.rowsRead), seen).toBeLessThanOrEqual(20);
    expect(Math.abs(old.rowsWritten - young.rowsWritten), seen).toBeLessThanOrEqual(1);
    // NOTE: 11.3–11.7 rows written (17.3–17.7 before schema v14): renewal 7 (subscription, invoice
    // with its first attempt counted, line, pending payment with its reconcile, renew job, events),
    // settle 3 (payment, invoice paid, events), then the outbox's position and the read model's
    // mirror (~1.3, coalesced) and the clock's time (1 per advance of 3 renewals).
    expect(young.rowsWritten, seen).toBeLessThanOrEqual(12);
    expect(old.rowsWritten, seen).toBeLessThanOrEqual(12);
  }, 600_000);

  // A metered plan adds a usage window per period: the open one is read without the others.
  it("reads the same rows for a metered subscription with 3 invoices as for one with 300", async () => {
    const meter = await ok("POST", "/v1/meters", {
      event_name: `renewal_cost.${Date.now().toString(36)}`,
      display_name: "API calls",
    });
    const metered = { charges: [{ meter: meter.id, model: "standard", unit_amount_decimal: "0.5" }] };
    const young = await renewalsAfter(3, metered);
    const old = await renewalsAfter(300, metered);
    const seen = `rows per renewal: 3 invoices ${JSON.stringify(young)}, 300 invoices ${JSON.stringify(old)}`;
    expect(young.rowsRead).toBeGreaterThan(0);
    expect(Math.abs(old.rowsRead - young.rowsRead), seen).toBeLessThanOrEqual(20);
    expect(Math.abs(old.rowsWritten - young.rowsWritten), seen).toBeLessThanOrEqual(1);
    // The same 11.3–11.7 plus the usage window closed and the next one opened (~3): 14.7 (17.7 before v14).
    expect(young.rowsWritten, seen).toBeLessThanOrEqual(15);
    expect(old.rowsWritten, seen).toBeLessThanOrEqual(15);
  }, 600_000);

  // A monthly plan's renewal also carries its `invoice.upcoming` notice (BILLIFY_UPCOMING_DAYS,
  // 7): the notice's job is derived from the state (schema v17), no row written or deleted.
  it("writes at most 15 rows per monthly renewal, its invoice.upcoming notice included", async () => {
    const { clock, subscription } = await subscribeOnClock("2026-01-01T00:00:00Z", { amount: 1500, interval: "month" });
    const stub = env.SUBSCRIPTIONS.getByName(subscription.id.slice(-16)) as Stub;
    await advance(clock.id, "2026-03-01T00:00:00Z");
    const before = await settled(stub);
    // Three renewals (Apr 1, May 1, Jun 1), each with its notice 7 days ahead.
    await advance(clock.id, "2026-06-01T00:00:00Z");
    const after = await settled(stub);
    const events = (await ok("GET", `/v1/subscriptions/${subscription.id}/events?limit=100`)).data;
    expect(
      events
        .filter((e: { type: string }) => e.type === "invoice.upcoming")
        .map((e: { created: string }) => e.created)
        .sort(),
    ).toEqual([
      "2026-01-25T00:00:00Z",
      "2026-02-22T00:00:00Z",
      "2026-03-25T00:00:00Z",
      "2026-04-24T00:00:00Z",
      "2026-05-25T00:00:00Z",
    ]);
    const history = await invoicesOf(subscription.id);
    expect(history.slice(-3).map((i) => [i.period_start, i.status])).toEqual([
      ["2026-04-01T00:00:00Z", "paid"],
      ["2026-05-01T00:00:00Z", "paid"],
      ["2026-06-01T00:00:00Z", "paid"],
    ]);
    // The notice is no row of `job`: only the renewal's is there.
    const jobs = await runInDurableObject(stub, (_instance: SubscriptionActor, state) =>
      state.storage.sql.exec("SELECT kind FROM job").toArray(),
    );
    expect(jobs).toEqual([{ kind: "renew" }]);
    const rowsWritten = (after.rowsWritten - before.rowsWritten) / 3;
    // NOTE: 14.3 measured (16.7 before schema v17): the daily plan's 11.3–11.7, plus the notice's
    // `upcoming_sent_for`, its event row and the outbox's position after its flush (3). The job
    // row upserted by the renewal and deleted by the notice (2) are gone: either one back fails.
    expect(rowsWritten, `rows written per monthly renewal: ${rowsWritten}`).toBeLessThanOrEqual(15);
  }, 600_000);
});
