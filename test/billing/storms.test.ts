import { describe, expect, it } from "vitest";
import type { InvoiceLine } from "../../src/contract/invoice";
import { advance, api, createPlan, invoicesOf, ok, subscribeOnClock } from "../helpers";
import { eventually } from "../poll";

/**
 * Concurrency storms: many writes on one subscription at once, with and without
 * Idempotency-Key, and writes racing a test clock advance. Whatever the interleaving, each
 * change is applied once or refused, and no write is lost.
 */

const change = (id: string, body: Record<string, unknown>, key?: string) =>
  api("POST", `/v1/subscriptions/${id}/change`, body, key ? { headers: { "Idempotency-Key": key } } : {});

describe("a storm of changes on one subscription", () => {
  it("applies each change once or refuses it, and its proration lines chain from the plan it found", async () => {
    // Basic 1000 from April 1; at April 16 00:00 exactly half of the 30-day period remains.
    const {
      clock,
      subscription,
      plan: basic,
    } = await subscribeOnClock("2026-04-01T00:00:00Z", { name: "Basic", amount: 1000 });
    const pro = await createPlan({ name: "Pro", amount: 4000 });
    const max = await createPlan({ name: "Max", amount: 9000 });
    await advance(clock.id, "2026-04-16T00:00:00Z");
    const id = subscription.id;
    const unit: Record<string, number> = { [basic.id]: 1000, [pro.id]: 4000, [max.id]: 9000 };

    const answers = await Promise.all([
      change(id, { plan: pro.id, quantity: 2 }, "storm-a"),
      change(id, { plan: pro.id, quantity: 2 }, "storm-a"), // the same request again: a replay, or 409 while the first runs
      change(id, { quantity: 3 }, "storm-a"), // the key with another body: 422, or 409 while the first runs
      change(id, { plan: max.id }),
      change(id, { quantity: 3 }),
      change(id, { plan: basic.id, quantity: 2 }),
      change(id, { plan: pro.id }, "storm-b"),
      change(id, { quantity: 1 }, "storm-c"),
      change(id, { quantity: 1 }, "storm-c"),
      change(id, { plan: max.id, quantity: 2 }),
    ]);
    const outcome = (a: (typeof answers)[number]) =>
      a.status === 200
        ? a.headers.get("idempotent-replayed") === "true"
          ? "replayed"
          : "applied"
        : `${a.status} ${a.body.error.code}`;
    const outcomes = answers.map(outcome);
    // Without a key every change applies; a key applies once, its duplicates replay or wait.
    for (const i of [3, 4, 5, 6, 9]) expect(outcomes[i]).toBe("applied");
    expect(outcomes[0]).toBe("applied");
    expect(["replayed", "409 idempotency_request_in_progress"]).toContain(outcomes[1]);
    expect(["422 idempotency_key_reused", "409 idempotency_request_in_progress"]).toContain(outcomes[2]);
    expect([outcomes[7], outcomes[8]].sort()).toSatisfy((pair: string[]) =>
      ["applied,replayed", "409 idempotency_request_in_progress,applied"].includes(pair.join(",")),
    );
    if (outcomes[1] === "replayed") expect(answers[1].body).toEqual(answers[0].body);
    const applied = outcomes.filter((o) => o === "applied").length;
    expect(applied).toBe(7);

    const sub = await ok("GET", `/v1/subscriptions/${id}`);
    await advance(clock.id, "2026-05-01T00:00:00Z");
    const invoices = await invoicesOf(id);
    expect(invoices.map((i) => [i.billing_reason, i.period_start, i.status])).toEqual([
      ["subscription_create", "2026-04-01T00:00:00Z", "paid"],
      ["subscription_cycle", "2026-05-01T00:00:00Z", "paid"],
    ]);
    const [first, ...prorations] = invoices[1].lines as InvoiceLine[];
    const final = unit[sub.plan]! * sub.quantity;
    expect([first!.type, first!.amount]).toEqual(["subscription", final]);
    // Each applied change that changes something credits half of what it found and charges half
    // of what it makes, in that order; each credit undoes the charge before it, so no change was
    // priced on a stale plan. (One that finds its target already in place makes no line.)
    expect(prorations.every((l) => l.type === "proration")).toBe(true);
    const pairs = prorations.length / 2;
    expect(Number.isInteger(pairs) && pairs >= 2 && pairs <= applied).toBe(true);
    expect(prorations.map((l) => Math.sign(l.amount))).toEqual(
      Array.from({ length: 2 * pairs }, (_, i) => (i % 2 === 0 ? -1 : 1)),
    );
    const credits = prorations.filter((l) => l.amount < 0).map((l) => -l.amount);
    const charges = prorations.filter((l) => l.amount > 0).map((l) => l.amount);
    expect(credits[0]).toBe(500);
    expect(credits.slice(1)).toEqual(charges.slice(0, -1));
    expect(charges.at(-1)).toBe(final / 2);
    expect(invoices[1].total).toBe(final + final / 2 - 500);
  });
});

describe("writes racing a test clock advance", () => {
  it("refuses the second advance with one 409, loses no write, and invoices every month once", async () => {
    const { clock, subscription } = await subscribeOnClock("2026-01-01T00:00:00Z", { name: "Monthly", amount: 1000 });
    const id = subscription.id;
    const [first, second, item, keyed, quantity] = await Promise.all([
      api("POST", `/v1/test_clocks/${clock.id}/advance`, { frozen_time: "2026-07-01T00:00:00Z" }),
      api("POST", `/v1/test_clocks/${clock.id}/advance`, { frozen_time: "2026-05-01T00:00:00Z" }),
      api("POST", `/v1/subscriptions/${id}/invoice_items`, { amount: 777, description: "Setup" }),
      api(
        "POST",
        `/v1/subscriptions/${id}/invoice_items`,
        { amount: 333, description: "Support" },
        { headers: { "Idempotency-Key": "race-item" } },
      ),
      api("POST", `/v1/subscriptions/${id}/change`, { quantity: 2, proration_behavior: "none" }),
    ]);
    const advances = [first, second].map((a) => (a.status === 200 ? "ok" : `${a.status} ${a.body.error.code}`));
    expect(advances.sort()).toEqual(["409 clock_advancing", "ok"]);
    expect([item.status, keyed.status, quantity.status]).toEqual([201, 201, 200]);
    // Whichever advance won, finish at August 1 (waiting for it first: a second advance is 409 meanwhile).
    const won = first.status === 200 ? first.body : second.body;
    if (won.status === "advancing") {
      await eventually(
        () => ok("GET", `/v1/test_clocks/${clock.id}`),
        (c) => c.status !== "advancing",
        { intervalMs: 50, what: "the winning advance" },
      );
    }
    await advance(clock.id, "2026-08-01T00:00:00Z");

    const sub = await ok("GET", `/v1/subscriptions/${id}`);
    expect([sub.status, sub.quantity, sub.current_period_start]).toEqual(["active", 2, "2026-08-01T00:00:00Z"]);
    const invoices = await invoicesOf(id);
    // Jan … Aug: one invoice per month, no gap, each paid once.
    expect(invoices.map((i) => i.period_start.slice(0, 7))).toEqual([
      "2026-01",
      "2026-02",
      "2026-03",
      "2026-04",
      "2026-05",
      "2026-06",
      "2026-07",
      "2026-08",
    ]);
    expect(invoices.every((i) => i.status === "paid" && i.amount_paid === i.amount_due && i.attempt_count === 1)).toBe(
      true,
    );
    const lines = invoices.flatMap((i) => i.lines as InvoiceLine[]);
    // Each item billed once; the quantity applies from the period after it was made.
    expect(
      lines
        .filter((l) => l.type !== "subscription")
        .map((l) => l.amount)
        .sort(),
    ).toEqual([333, 777]);
    const perMonth = invoices.map((i) => (i.lines as InvoiceLine[]).find((l) => l.type === "subscription")!.amount);
    expect(perMonth.at(-1)).toBe(2000);
    const switched = perMonth.indexOf(2000);
    expect(perMonth).toEqual(perMonth.map((_, k) => (k < switched ? 1000 : 2000)));
  });
});
