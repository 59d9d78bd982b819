import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { advance, api, createClock, createCustomer, createPlan, invoicesOf, ok } from "../helpers";

let meterCounter = 0;
async function createMeter(fields: Record<string, unknown> = {}) {
  meterCounter += 1;
  return ok("POST", "/v1/meters", {
    event_name: `api_call.${Date.now().toString(36)}.${meterCounter}`,
    display_name: "API calls",
    ...fields,
  });
}

/** A customer on a clock at `start`, a meter, and a subscription to a plan charging on it. */
async function meteredSubscription(
  start: string,
  charge: Record<string, unknown> = { model: "standard", unit_amount_decimal: "0.5" },
  plan: Record<string, unknown> = {},
  meterFields: Record<string, unknown> = {},
) {
  const clock = await createClock(start);
  const customer = await createCustomer({ test_clock: clock.id });
  const meter = await createMeter(meterFields);
  const p = await createPlan({ amount: 1000, charges: [{ meter: meter.id, ...charge }], ...plan });
  const subscription = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: p.id });
  const report = (value: string | number | null, fields: Record<string, unknown> = {}) =>
    api("POST", "/v1/meter_events", {
      event_name: meter.event_name,
      payload: { customer: customer.id, ...(value === null ? {} : { value }) },
      ...fields,
    });
  return { clock, customer, meter, plan: p, subscription, report };
}

describe("meters (docs/billing-rules.md rule 14)", () => {
  it("creates, reads and patches a meter; event_name is unique and its terms never change", async () => {
    const meter = await createMeter({ aggregation: "max" });
    expect(meter).toMatchObject({ object: "meter", aggregation: "max", value_key: "value", status: "active" });
    expect(meter.id).toMatch(/^mtr_[0-9A-Z]{26}$/);
    expect(await ok("GET", `/v1/meters/${meter.id}`)).toEqual(meter);
    const again = await api("POST", "/v1/meters", { event_name: meter.event_name, display_name: "x" });
    expect(again.status).toBe(409);
    const patched = await ok("PATCH", `/v1/meters/${meter.id}`, { display_name: "Peak", status: "inactive" });
    expect(patched).toMatchObject({ display_name: "Peak", status: "inactive", aggregation: "max" });
    const refused = await api("PATCH", `/v1/meters/${meter.id}`, { aggregation: "sum" });
    expect(refused.status).toBe(400);
    expect(refused.body.error.param).toBe("aggregation");
    expect((await api("GET", "/v1/meters/mtr_01JD0000000000000000000000")).status).toBe(404);
  });

  it("validates a plan's charges: model fields, ascending tiers, an existing meter", async () => {
    const meter = await createMeter();
    const plan = (charge: Record<string, unknown>) =>
      api("POST", "/v1/plans", {
        name: "M",
        currency: "usd",
        amount: 0,
        interval: "month",
        charges: [{ meter: meter.id, ...charge }],
      });
    expect((await plan({ model: "standard" })).body.error.param).toBe("charges.0.unit_amount_decimal");
    expect((await plan({ model: "standard", unit_amount_decimal: "0.0000000000001" })).status).toBe(400);
    const tiers = await plan({
      model: "graduated",
      tiers: [
        { up_to: 10, unit_amount_decimal: "1" },
        { up_to: 5, unit_amount_decimal: "1" },
        { up_to: null, unit_amount_decimal: "1" },
      ],
    });
    expect(tiers.body.error.param).toBe("charges.0.tiers");
    const missing = await api("POST", "/v1/plans", {
      name: "M",
      currency: "usd",
      amount: 0,
      interval: "month",
      charges: [{ meter: "mtr_01JD0000000000000000000000", model: "package", package_size: 10, package_amount: 5 }],
    });
    expect(missing.body.error).toMatchObject({ code: "resource_missing", param: "charges[0].meter" });
    const made = await plan({ model: "package", package_size: 10, package_amount: 5 });
    expect(made.status).toBe(201);
    expect(made.body.charges).toEqual([{ meter: meter.id, model: "package", package_size: 10, package_amount: 5 }]);
  });
});

describe("meter events (rule 14a, h)", () => {
  it("answers 201 with the event, and a repeated identifier 200 with the stored event, counted once", async () => {
    const { subscription, report } = await meteredSubscription("2026-04-01T00:00:00Z");
    const first = await report("10", { identifier: "req-1" });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ object: "meter_event", identifier: "req-1", timestamp: "2026-04-01T00:00:00Z" });
    const repeat = await report("99", { identifier: "req-1" });
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual(first.body);
    await report(2.5);
    const usage = await ok("GET", `/v1/subscriptions/${subscription.id}/usage`);
    expect(usage).toMatchObject({ total: 6, data: [{ charge: 0, usage_quantity: "12.5", amount: 6 }] });
  });

  it("refuses an unknown or inactive meter, an unknown customer, a bad value and a timestamp out of the window", async () => {
    const { meter, customer, report } = await meteredSubscription("2026-04-01T00:00:00Z");
    const unknown = await api("POST", "/v1/meter_events", {
      event_name: "nope",
      payload: { customer: customer.id, value: 1 },
    });
    expect(unknown.body.error.param).toBe("event_name");
    const noCustomer = await api("POST", "/v1/meter_events", {
      event_name: meter.event_name,
      payload: { customer: "cus_01JD0000000000000000000000", value: 1 },
    });
    expect(noCustomer.body.error).toMatchObject({ code: "resource_missing", param: "payload.customer" });
    expect((await report("1.0000000000001")).body.error.param).toBe("payload.value");
    expect((await report(null)).body.error).toMatchObject({ code: "parameter_missing", param: "payload.value" });
    expect((await report("1", { timestamp: "2026-02-24T23:59:59Z" })).body.error.param).toBe("timestamp");
    expect((await report("1", { timestamp: "2026-04-01T00:05:01Z" })).body.error.param).toBe("timestamp");
    expect((await report("1", { timestamp: "2026-04-01T00:05:00Z" })).status).toBe(201);
    await ok("PATCH", `/v1/meters/${meter.id}`, { status: "inactive" });
    expect((await report("1")).body.error.param).toBe("event_name");
  });

  it("a batch with one bad event stores nothing; a good one counts accepted and duplicates", async () => {
    const { meter, customer, subscription } = await meteredSubscription("2026-04-01T00:00:00Z");
    const event = (identifier: string, extra: Record<string, unknown> = {}) => ({
      event_name: meter.event_name,
      identifier,
      payload: { customer: customer.id, value: "1" },
      ...extra,
    });
    const bad = await api("POST", "/v1/meter_events/batch", {
      events: [event("a"), event("b"), event("c"), event("d", { timestamp: "2025-01-01T00:00:00Z" })],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe("events[3].timestamp");
    const shape = await api("POST", "/v1/meter_events/batch", {
      events: [event("a"), { event_name: meter.event_name }],
    });
    expect(shape.body.error.param).toBe("events[1].payload");
    expect((await ok("GET", `/v1/subscriptions/${subscription.id}/usage`)).data[0].usage_quantity).toBe("0");
    const good = await ok("POST", "/v1/meter_events/batch", { events: [event("a"), event("b"), event("a")] });
    expect(good).toEqual({ object: "meter_event_batch", accepted: 2, duplicates: 1 });
    const again = await ok("POST", "/v1/meter_events/batch", { events: [event("a"), event("c")] });
    expect(again).toEqual({ object: "meter_event_batch", accepted: 1, duplicates: 1 });
    expect((await ok("GET", `/v1/subscriptions/${subscription.id}/usage`)).data[0].usage_quantity).toBe("3");
  });
});

describe("exactly once (rule 14h)", () => {
  it("counts an identifier once when 20 requests carry it at the same time", async () => {
    const { subscription, report } = await meteredSubscription("2026-04-01T00:00:00Z");
    const answers = await Promise.all(Array.from({ length: 20 }, () => report("3", { identifier: "same" })));
    expect(answers.map((a) => a.status).sort()).toEqual([...Array(19).fill(200), 201]);
    expect((await ok("GET", `/v1/subscriptions/${subscription.id}/usage`)).data[0].usage_quantity).toBe("3");
  });

  it("an Idempotency-Key replays the first answer and records nothing again, even without identifiers", async () => {
    const { subscription, meter, customer } = await meteredSubscription("2026-04-01T00:00:00Z");
    const body = { event_name: meter.event_name, payload: { customer: customer.id, value: "4" } };
    const key = { headers: { "Idempotency-Key": `usage-${meter.id}` } };
    const first = await api("POST", "/v1/meter_events", body, key);
    const again = await api("POST", "/v1/meter_events", body, key);
    expect([first.status, again.status, again.headers.get("Idempotent-Replayed")]).toEqual([201, 201, "true"]);
    expect(again.body).toEqual(first.body);
    const batchKey = { headers: { "Idempotency-Key": `usage-batch-${meter.id}` } };
    const batch = { events: [body, body] };
    expect((await api("POST", "/v1/meter_events/batch", batch, batchKey)).body).toMatchObject({ accepted: 2 });
    const replay = await api("POST", "/v1/meter_events/batch", batch, batchKey);
    expect([replay.body.accepted, replay.headers.get("Idempotent-Replayed")]).toEqual([2, "true"]);
    expect((await ok("GET", `/v1/subscriptions/${subscription.id}/usage`)).data[0].usage_quantity).toBe("12");
  });

  it("a redelivery to the subscription (the customer did not hear its answer) counts nothing again", async () => {
    const { subscription, report, meter } = await meteredSubscription("2026-04-01T00:00:00Z");
    await report("5");
    const stub = env.SUBSCRIPTIONS.getByName(subscription.id.slice(-16));
    const now = Date.parse("2026-04-01T00:00:00Z") / 1000;
    const counted = await stub.currentUsage(subscription.id);
    expect(counted.ok && counted.value.data[0]!.usage_quantity).toBe("5");
    // The customer's log position 1 again, and a new one (2) with it: only 2 counts.
    const redelivered = [
      { seq: 1, event_name: meter.event_name, timestamp: now, value: "5" },
      { seq: 2, event_name: meter.event_name, timestamp: now, value: "7" },
    ];
    expect(await stub.recordUsage(subscription.id, redelivered, now)).toMatchObject({
      ok: true,
      value: { through: 2 },
    });
    expect(await stub.recordUsage(subscription.id, redelivered, now)).toMatchObject({
      ok: true,
      value: { through: 2 },
    });
    const after = await stub.currentUsage(subscription.id);
    expect(after.ok && after.value.data[0]!.usage_quantity).toBe("12");
  });
});

describe("usage billing (rule 14c–g)", () => {
  it("bills the period's usage in arrears on the renewal invoice, with the next period's subscription line", async () => {
    const { clock, subscription, report, meter } = await meteredSubscription("2026-04-01T00:00:00Z", {
      model: "graduated",
      tiers: [
        { up_to: 100, unit_amount_decimal: "2", flat_amount: 0 },
        { up_to: null, unit_amount_decimal: "0.5", flat_amount: 100 },
      ],
    });
    await report("60");
    await advance(clock.id, "2026-04-20T00:00:00Z");
    await report("70.5");
    await advance(clock.id, "2026-05-01T00:00:00Z");
    const invoices = await invoicesOf(subscription.id);
    expect(invoices.map((i) => i.total)).toEqual([1000, 1000 + 200 + 100 + 15]);
    const lines = invoices[1].lines;
    expect(lines.map((l: { type: string }) => l.type)).toEqual(["subscription", "usage"]);
    expect(lines[1]).toMatchObject({
      type: "usage",
      amount: 315, // 100 × 2 + 30.5 × 0.5 (15.25) + 100 flat → 315.25 → 315
      meter: meter.id,
      charge: 0,
      usage_quantity: "130.5",
      period_start: "2026-04-01T00:00:00Z",
      period_end: "2026-05-01T00:00:00Z",
    });
    // The new period starts from zero.
    expect((await ok("GET", `/v1/subscriptions/${subscription.id}/usage`)).data[0]).toMatchObject({
      usage_quantity: "0",
      period_start: "2026-05-01T00:00:00Z",
    });
  });

  it("a usage line takes the subscription's discount and tax like any line (rules 13, 16)", async () => {
    const coupon = await ok("POST", "/v1/coupons", { percent_off: 10, duration: "forever" });
    const vat = await ok("POST", "/v1/tax_rates", { display_name: "VAT", percentage: 20, inclusive: false });
    const clock = await createClock("2026-04-01T00:00:00Z");
    const customer = await createCustomer({ test_clock: clock.id });
    const meter = await createMeter();
    const plan = await createPlan({
      amount: 1000,
      charges: [{ meter: meter.id, model: "standard", unit_amount_decimal: "2" }],
    });
    const sub = await ok("POST", "/v1/subscriptions", {
      customer: customer.id,
      plan: plan.id,
      coupon: coupon.id,
      default_tax_rates: [vat.id],
    });
    await api("POST", "/v1/meter_events", {
      event_name: meter.event_name,
      payload: { customer: customer.id, value: 250 },
    });
    await advance(clock.id, "2026-05-01T00:00:00Z");
    const [, renewal] = await invoicesOf(sub.id);
    const usage = renewal.lines.find((l: { type: string }) => l.type === "usage");
    expect(usage).toMatchObject({
      amount: 500,
      discount_amounts: [{ coupon: coupon.id, amount: 50 }],
      tax_amounts: [{ tax_rate: vat.id, inclusive: false, amount: 90 }],
    });
    // 1000 + 500 − 150 discount + 270 tax.
    expect([renewal.subtotal, renewal.tax, renewal.total]).toEqual([1500, 270, 1620]);
  });

  it("a usage-only plan makes no invoice at the start and bills usage at the renewal; trial usage is free", async () => {
    const clock = await createClock("2026-04-01T00:00:00Z");
    const customer = await createCustomer({ test_clock: clock.id });
    const meter = await createMeter({ aggregation: "count" });
    const plan = await createPlan({
      amount: 0,
      trial_days: 10,
      charges: [{ meter: meter.id, model: "package", package_size: 10, package_amount: 50 }],
    });
    const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    const count = () =>
      api("POST", "/v1/meter_events", { event_name: meter.event_name, payload: { customer: customer.id } });
    await count(); // in the trial: free
    await advance(clock.id, "2026-04-15T00:00:00Z");
    for (let i = 0; i < 11; i++) expect((await count()).status).toBe(201);
    await advance(clock.id, "2026-05-11T00:00:00Z");
    const invoices = await invoicesOf(sub.id);
    expect(invoices).toHaveLength(1);
    expect(invoices[0].lines.map((l: { type: string; amount: number }) => [l.type, l.amount])).toEqual([
      ["subscription", 0],
      ["usage", 100],
    ]);
    expect(invoices[0].lines[1]).toMatchObject({ usage_quantity: "11", period_start: "2026-04-11T00:00:00Z" });
  });

  it("splits the period at a plan change: the old plan prices [s, t) as pending lines, the new one [t, e)", async () => {
    const { clock, subscription, report, meter } = await meteredSubscription("2026-04-01T00:00:00Z", {
      model: "volume",
      tiers: [
        { up_to: 10, unit_amount_decimal: "10", flat_amount: 0 },
        { up_to: null, unit_amount_decimal: "1", flat_amount: 0 },
      ],
    });
    await report("15");
    await advance(clock.id, "2026-04-16T00:00:00Z");
    const other = await createPlan({
      amount: 1000,
      charges: [{ meter: meter.id, model: "standard", unit_amount_decimal: "3" }],
    });
    const preview = await ok("POST", `/v1/subscriptions/${subscription.id}/preview_change`, {
      plan: other.id,
      proration_behavior: "none",
    });
    expect(preview.lines.map((l: any) => [l.type, l.usage_quantity, l.amount])).toEqual([["usage", "15", 15]]);
    await ok("POST", `/v1/subscriptions/${subscription.id}/change`, { plan: other.id, proration_behavior: "none" });
    await report("4");
    await advance(clock.id, "2026-05-01T00:00:00Z");
    const [, renewal] = await invoicesOf(subscription.id);
    const usage = renewal.lines.filter((l: { type: string }) => l.type === "usage");
    expect(usage.map((l: any) => [l.plan, l.usage_quantity, l.amount, l.period_start, l.period_end])).toEqual([
      [expect.any(String), "15", 15, "2026-04-01T00:00:00Z", "2026-04-16T00:00:00Z"],
      [other.id, "4", 12, "2026-04-16T00:00:00Z", "2026-05-01T00:00:00Z"],
    ]);
  });

  it("shows the usage so far in invoice.upcoming, as the renewal will bill it", async () => {
    const { clock, subscription, report } = await meteredSubscription("2026-04-01T00:00:00Z");
    await report("31");
    await advance(clock.id, "2026-04-24T00:00:00Z"); // 7 days before the renewal
    const events = (await ok("GET", `/v1/subscriptions/${subscription.id}/events?limit=100`)).data;
    const upcoming = events.find((e: { type: string }) => e.type === "invoice.upcoming");
    expect(upcoming.data.object.lines.map((l: any) => [l.type, l.amount, l.usage_quantity])).toEqual([
      ["subscription", 1000, undefined],
      ["usage", 16, "31"], // 15.5 → 16
    ]);
    expect(upcoming.data.object.total).toBe(1016);
  });

  it("an immediate cancel bills the usage so far on a final invoice, even as its only line", async () => {
    const { clock, subscription, report } = await meteredSubscription("2026-04-01T00:00:00Z");
    await report("7");
    await advance(clock.id, "2026-04-10T00:00:00Z");
    await ok("POST", `/v1/subscriptions/${subscription.id}/cancel`, {});
    const invoices = await invoicesOf(subscription.id);
    expect(invoices.map((i) => [i.billing_reason, i.total])).toEqual([
      ["subscription_create", 1000],
      ["subscription_final", 4],
    ]);
    expect(invoices[1].lines).toEqual([expect.objectContaining({ type: "usage", usage_quantity: "7", amount: 4 })]);
  });

  it("a cancel at the period end bills the last period's usage on the final invoice", async () => {
    const { clock, subscription, report } = await meteredSubscription("2026-04-01T00:00:00Z");
    await report("9");
    await ok("POST", `/v1/subscriptions/${subscription.id}/cancel`, { at_period_end: true });
    await advance(clock.id, "2026-05-02T00:00:00Z");
    const invoices = await invoicesOf(subscription.id);
    expect(invoices.map((i) => [i.billing_reason, i.total])).toEqual([
      ["subscription_create", 1000],
      ["subscription_final", 5], // 4.5 → 5
    ]);
    expect(invoices[1].lines).toEqual([
      expect.objectContaining({ type: "usage", usage_quantity: "9", period_end: "2026-05-01T00:00:00Z" }),
    ]);
    expect((await ok("GET", `/v1/subscriptions/${subscription.id}`)).status).toBe("canceled");
  });

  it("bills late events on the next invoice as the difference for their period, and once ended at once", async () => {
    const { clock, subscription, report } = await meteredSubscription("2026-04-01T00:00:00Z");
    await report("10");
    await advance(clock.id, "2026-05-02T00:00:00Z");
    expect((await report("4", { timestamp: "2026-04-30T00:00:00Z" })).status).toBe(201); // April was billed
    await advance(clock.id, "2026-06-01T00:00:00Z");
    const invoices = await invoicesOf(subscription.id);
    expect(invoices.map((i) => i.total)).toEqual([1000, 1005, 1002]);
    const late = invoices[2].lines.find((l: { period_start: string }) => l.period_start === "2026-04-01T00:00:00Z");
    expect(late).toMatchObject({ type: "usage", amount: 2, usage_quantity: "14" }); // 7 − 5 billed
    await ok("POST", `/v1/subscriptions/${subscription.id}/cancel`, {});
    const before = (await invoicesOf(subscription.id)).length;
    expect((await report("20", { timestamp: "2026-05-20T00:00:00Z" })).status).toBe(201);
    const after = await invoicesOf(subscription.id);
    expect(after).toHaveLength(before + 1);
    expect(after.at(-1)).toMatchObject({ billing_reason: "manual", total: 10, status: "paid", attempt_count: 1 });
  });
});
