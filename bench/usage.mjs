// The usage part of `npm run bench` (issue 18): meter event ingest against the echo, duplicate
// storms counted once, and a renewal whose period holds many events invoiced in one alarm run.
// Called by run.mjs with its helpers; plain Node ESM, a client of the running service.

/**
 * @param {object} h run.mjs's helpers: ok, call, load, pool, profile, breakdown, advanceClock, log, round, median
 * @param {object} size { seconds, reps, customers, renewalEvents, concurrency }
 */
export async function usageBench(h, size) {
  const { ok, call, load, pool, log, round, median } = h;
  const tag = Date.now().toString(36);
  const meter = await ok("POST", "/v1/meters", { event_name: `bench.calls.${tag}`, display_name: "Calls" });
  const plan = (
    await ok("POST", "/v1/plans", {
      name: "Metered bench",
      currency: "usd",
      amount: 0,
      interval: "month",
      charges: [{ meter: meter.id, model: "standard", unit_amount_decimal: "0.01" }],
    })
  ).id;
  const subscribe = async (extra = {}) => {
    const customer = (
      await ok("POST", "/v1/customers", { email: "u@example.com", payment_method: "pm_card_visa", ...extra })
    ).id;
    const subscription = (await ok("POST", "/v1/subscriptions", { customer, plan })).id;
    return { customer, subscription };
  };
  const hot = await subscribe();
  log(`usage: creating ${size.customers} metered customers`);
  const many = await pool(
    Array.from({ length: size.customers }, (_, i) => i),
    16,
    () => subscribe(),
  );
  let seq = 0;
  const event = (customer) => ({
    event_name: meter.event_name,
    identifier: `b-${tag}-${++seq}`,
    payload: { customer, value: "1" },
  });
  const batch = (customer) => ({ events: Array.from({ length: 100 }, () => event(customer)) });
  const targets = {
    echo_warm: { per: 1, run: () => call("GET", "/bench/echo/warm") },
    post_customer: { per: 1, run: () => call("POST", "/v1/customers", { email: "load@example.com" }) },
    event_one_customer: { per: 1, run: () => call("POST", "/v1/meter_events", event(hot.customer)) },
    batch_one_customer: { per: 100, run: () => call("POST", "/v1/meter_events/batch", batch(hot.customer)) },
    event_many_customers: {
      per: 1,
      run: (w, i) => call("POST", "/v1/meter_events", event(many[(w * 131 + i) % many.length].customer)),
    },
    batch_many_customers: {
      per: 100,
      run: (w, i) => call("POST", "/v1/meter_events/batch", batch(many[(w * 131 + i) % many.length].customer)),
    },
  };
  const samples = {};
  for (let rep = 0; rep < size.reps; rep++)
    for (const [name, t] of Object.entries(targets)) {
      const r = await load(size.concurrency, size.seconds, t.run);
      samples[name] ??= [];
      samples[name].push({ ...r, events_per_s: r.rps * t.per });
      log(
        `usage ${name} rep ${rep + 1}: ${(r.rps * t.per).toFixed(0)} events/s (${r.rps.toFixed(0)} req/s), p99 ${r.p99?.toFixed(0)} ms${r.errors ? `, ${r.errors} errors` : ""}`,
      );
    }
  const throughput = {};
  for (const [name, reps] of Object.entries(samples))
    throughput[name] = {
      concurrency: size.concurrency,
      requests_per_s: round(median(reps.map((r) => r.rps)), 1),
      events_per_s: round(median(reps.map((r) => r.events_per_s)), 1),
      p99_ms: round(median(reps.map((r) => r.p99)), 1),
      errors: reps.reduce((s, r) => s + r.errors, 0),
      x_warm_echo: round(median(reps.map((r, i) => r.rps / samples.echo_warm[i].rps))),
    };
  const customerRate = throughput.post_customer.requests_per_s;
  throughput.single_event_at_least_customer_create = throughput.event_one_customer.events_per_s >= customerRate;

  // Duplicate storm: 16 workers send the same 50 identifiers (singly and in batches) over and over.
  const storm = await subscribe();
  const ids = Array.from({ length: 50 }, (_, i) => `storm-${tag}-${i}`);
  const stormEvent = (i) => ({
    event_name: meter.event_name,
    identifier: ids[i % ids.length],
    payload: { customer: storm.customer, value: "2" },
  });
  // Every identifier once first, then the storm repeats them from 16 workers at once.
  await ok("POST", "/v1/meter_events/batch", { events: ids.map((_, i) => stormEvent(i)) });
  const sent = await load(16, size.seconds, (w, i) =>
    i % 2 === 0
      ? call("POST", "/v1/meter_events", stormEvent(w + i))
      : call("POST", "/v1/meter_events/batch", { events: Array.from({ length: 20 }, (_, k) => stormEvent(w + i + k)) }),
  );
  const counted = (await ok("GET", `/v1/subscriptions/${storm.subscription}/usage`)).data[0].usage_quantity;
  const duplicates = {
    requests: sent.n,
    errors: sent.errors,
    identifiers: ids.length,
    usage_quantity: counted,
    expected: String(ids.length * 2),
    counted_once: counted === String(ids.length * 2),
  };
  log(`usage storm: ${sent.n} requests over ${ids.length} identifiers → usage ${counted} (expected ${ids.length * 2})`);

  // A renewal with many events in its period: one alarm run reads the aggregate rows, not the events.
  const clock = (await ok("POST", "/v1/test_clocks", { frozen_time: "2026-01-01T00:00:00Z" })).id;
  const big = await subscribe({ test_clock: clock });
  log(`usage: reporting ${size.renewalEvents} events in one period`);
  const t0 = performance.now();
  await pool(
    Array.from({ length: size.renewalEvents / 100 }, (_, i) => i),
    8,
    async () => ok("POST", "/v1/meter_events/batch", batch(big.customer)),
  );
  const ingestSeconds = (performance.now() - t0) / 1000;
  let renewalSeconds = 0;
  const snap = await h.profile(async () => {
    const t = performance.now();
    await h.advanceClock(clock, "2026-02-01T00:00:00Z");
    renewalSeconds = (performance.now() - t) / 1000;
  });
  const invoices = (await ok("GET", `/v1/subscriptions/${big.subscription}/invoices`)).data;
  const usageLine = invoices[0]?.lines.find((l) => l.type === "usage");
  const renewal = {
    events_in_period: size.renewalEvents,
    ingest_seconds: round(ingestSeconds, 2),
    ingest_events_per_s: round(size.renewalEvents / ingestSeconds, 1),
    renewal_seconds: round(renewalSeconds, 3),
    usage_quantity: usageLine?.usage_quantity ?? null,
    amount: usageLine?.amount ?? null,
    invoiced_exactly: usageLine?.usage_quantity === String(size.renewalEvents),
    profile: h.breakdown(snap, 1),
  };
  log(
    `usage renewal: ${size.renewalEvents} events invoiced in ${renewalSeconds.toFixed(2)} s (usage ${renewal.usage_quantity})`,
  );

  // Rows per event: one single event and one batch of 100, profiled.
  const single = h.breakdown(
    await h.profile(async () => {
      for (let i = 0; i < 20; i++) await ok("POST", "/v1/meter_events", event(hot.customer));
    }),
    20,
  );
  const batched = h.breakdown(
    await h.profile(async () => {
      for (let i = 0; i < 5; i++) await ok("POST", "/v1/meter_events/batch", batch(hot.customer));
    }),
    500,
  );
  return { throughput, duplicates, renewal, profile: { single_event: single, batched_event: batched } };
}
