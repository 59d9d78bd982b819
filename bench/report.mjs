// The bench's printed table and its cost model (bench/run.mjs writes the numbers).

/** Cloudflare's paid-plan prices the bench assumes (USD per million). */
export const PRICES = {
  do_requests_per_million: 0.15,
  rows_written_per_million: 1.0,
  rows_read_per_million: 0.001,
  kv_writes_per_million: 5.0,
  kv_reads_per_million: 0.5,
  queue_operations_per_million: 0.4,
};

/** Dollars per million operations: rows, KV writes, and DO requests (its RPCs + the alarm or request itself). */
export function costPerMillion(profile) {
  const requests = profile.do_requests_per_op + 1;
  const dollars =
    profile.rows_written_per_op * PRICES.rows_written_per_million +
    profile.rows_read_per_op * PRICES.rows_read_per_million +
    profile.kv_writes_per_op * PRICES.kv_writes_per_million +
    requests * PRICES.do_requests_per_million;
  return Number(dollars.toFixed(2));
}

const ratios = (byC, key) =>
  Object.values(byC)
    .map((r) => r[key].toFixed(2))
    .join("/");
const rps = (byC) =>
  Object.values(byC)
    .map((r) => r.rps.toFixed(0))
    .join("/");
const mark = (okay) => (okay ? "✓" : "✗");

/** The meter events' rows (issue 21, item 6), when the usage part ran. */
function usageRows(u) {
  if (!u) return [];
  const t = u.throughput;
  const one = u.profile.single_event;
  const batch = u.profile.batched_event;
  return [
    [
      `meter event, single, c=${t.event_one_customer.concurrency}: one customer / many (events/s; × warm echo)`,
      `${t.event_one_customer.events_per_s}; ${t.event_one_customer.x_warm_echo}× / ${t.event_many_customers.events_per_s}; ${t.event_many_customers.x_warm_echo}×`,
      "≥ a customer create",
      mark(t.single_event_at_least_customer_create),
    ],
    [
      "meter events, batches of 100: one customer / many (events/s; requests × warm echo)",
      `${t.batch_one_customer.events_per_s}; ${t.batch_one_customer.x_warm_echo}× / ${t.batch_many_customers.events_per_s}; ${t.batch_many_customers.x_warm_echo}×`,
      "",
      "",
    ],
    [
      "per event, single / batched: rows written, DO requests",
      `${one.rows_written_per_op}, ${one.do_requests_per_event} / ${batch.rows_written_per_op}, ${batch.do_requests_per_event}`,
      "",
      "",
    ],
    [
      "$ per 1M events, single / batched",
      `$${one.dollars_per_million_events} / $${batch.dollars_per_million_events}`,
      "",
      "",
    ],
    [
      `duplicate storm; renewal with ${u.renewal.events_in_period} events in its period`,
      `counted ${u.duplicates.counted_once ? "once" : "NOT once"}; ${u.renewal.invoiced_exactly ? "invoiced exactly" : "NOT exact"}, ${u.renewal.profile.rows_read_per_op} rows read`,
      "once; no rescan",
      mark(u.duplicates.counted_once && u.renewal.invoiced_exactly),
    ],
  ];
}

/** A narrow markdown table of every measure against its target (issue 12). */
export function markdown(r) {
  const t = r.throughput;
  const min = (name, key) => Math.min(...Object.values(t[name]).map((x) => x[key]));
  const inv = r.invoice_listing;
  const invP50 = Object.values(inv).map((x) => x.p50_ms);
  const flat = Math.max(...invP50) <= 2 * Math.min(...invP50) + 2 && Object.values(inv).every((x) => x.exact);
  const h1 = r.herd_unlimited;
  const h = r.herd;
  const rows = [
    ["measure", "measured", "target", ""],
    ["---", "---", "---", "---"],
    [
      "GET subscription c=1/8/32 (× warm echo)",
      ratios(t.get_subscription, "x_warm_echo"),
      "≥ 0.8×",
      mark(min("get_subscription", "x_warm_echo") >= 0.8),
    ],
    [
      "GET customer c=1/8/32 (× warm echo)",
      ratios(t.get_customer, "x_warm_echo"),
      "≥ 0.8×",
      mark(min("get_customer", "x_warm_echo") >= 0.8),
    ],
    ["warm echo c=1/8/32 (req/s)", rps(t.echo_warm), "the floor", ""],
    ["new-object echo c=1/8/32 (req/s)", rps(t.echo_new), "the floor of a create", ""],
    [
      `customer's invoices, ${Object.keys(inv).join(" / ")} others (p50 ms)`,
      `${invP50.join(" / ")}${Object.values(inv).every((x) => x.exact) ? ", exact" : ", NOT exact"}`,
      "flat",
      mark(flat),
    ],
    [
      "POST customer c=1/8/32 (× new-object echo)",
      ratios(t.post_customer, "x_new_object_echo"),
      "≥ 0.8×",
      mark(min("post_customer", "x_new_object_echo") >= 0.8),
    ],
    [
      "POST subscription c=1/8/32 (× new-object echo)",
      ratios(t.post_subscription, "x_new_object_echo"),
      "≥ 0.5×",
      mark(min("post_subscription", "x_new_object_echo") >= 0.5),
    ],
    ["POST subscription c=1/8/32 (req/s)", rps(t.post_subscription), "", ""],
    [
      `test clock, ${r.renewal.subscriptions} subscriptions advanced a month (× the same count of echo calls, the clock's way)`,
      `${r.renewal.renewals_per_second} renewals/s; echo ${r.renewal.echo_fanout.warm_calls_per_second}/s warm, ${r.renewal.echo_fanout.new_object_calls_per_second}/s new: ${r.renewal.x_echo_fanout_warm}× / ${r.renewal.x_echo_fanout_new}×; by CPU ${r.renewal.cpu_ms_per_renewal} ms per renewal: ${r.renewal.x_echo_fanout_warm_cpu}× / ${r.renewal.x_echo_fanout_new_cpu}×`,
      "the ratio, improved by the profile",
      "",
    ],
    [
      "rows read per renewal (subscription actor), 3 / 300 invoices",
      `${r.renewal_rows[3].subscription_rows_read_per_renewal} / ${r.renewal_rows[300].subscription_rows_read_per_renewal} (written ${r.renewal_rows[3].subscription_rows_written_per_renewal} / ${r.renewal_rows[300].subscription_rows_written_per_renewal})`,
      "constant",
      mark(
        Math.abs(
          r.renewal_rows[300].subscription_rows_read_per_renewal - r.renewal_rows[3].subscription_rows_read_per_renewal,
        ) <= 20,
      ),
    ],
    h1 && [
      `${h1.subscriptions} real alarms at one instant`,
      h1.error
        ? `failed: ${h1.error}`
        : `${h1.paid} paid, ${h1.paid_twice} twice; last ${h1.last_charge_s_after_due} s after; API p50/p99 ${h1.api_p50_ms}/${h1.api_p99_ms} ms (${h1.api_probes} probes, ${h1.api_timeouts} timed out), echo p99 ${h1.echo_p99_ms} ms`,
      "all paid once; API p99 ≤ 1 s",
      mark(h1.paid === h1.subscriptions && h1.paid_twice === 0 && h1.api_p99_ms <= 1_000),
    ],
    h && [
      `${h.subscriptions} due at one instant, gateway ${h.gateway_rate_limit_per_second}/s, alarms spread over ${h.configuration?.BILLIFY_RENEWAL_SPREAD_SECONDS ?? "?"} s`,
      h.error
        ? `failed: ${h.error}`
        : `${h.paid} paid, ${h.paid_twice} twice, ${h.rejected_by_gateway} rejected; spread ${h.first_charge_s_after_due}–${h.last_charge_s_after_due} s, ≤ ${h.max_charges_in_one_second}/s; API p99 ${h.api_p99_ms} ms`,
      "none rejected, all paid once",
      mark(h.paid === h.subscriptions && h.paid_twice === 0 && h.rejected_by_gateway === 0),
    ],
    [
      "rows written per paid renewal (monthly plan, its invoice.upcoming included, on a test clock, every actor) / per subscription create",
      `${r.renewal.rows_written_per_renewal} / ${r.create.subscription.rows_written_per_op}`,
      "≤ 12 / ≤ 25",
      mark(r.renewal.rows_written_per_renewal <= 12 && r.create.subscription.rows_written_per_op <= 25),
    ],
    [
      "KV writes per renewal",
      String(r.renewal.kv_writes_per_renewal),
      "≤ 1",
      mark(r.renewal.kv_writes_per_renewal <= 1),
    ],
    [
      "$ per 1M renewals / 1M creates",
      `$${r.renewal.dollars_per_million_renewals} / $${r.create.subscription.dollars_per_million}`,
      "",
      "",
    ],
    ...usageRows(r.usage),
  ];
  const table = rows
    .filter(Boolean)
    .map((row) => `| ${row.join(" | ")} |`)
    .join("\n");
  const p = r.prices;
  const prices = `Prices assumed (Workers Paid, per million): DO requests $${p.do_requests_per_million}, rows written $${p.rows_written_per_million}, rows read $${p.rows_read_per_million}, KV writes $${p.kv_writes_per_million}, KV reads $${p.kv_reads_per_million}, queue operations $${p.queue_operations_per_million}.`;
  const steps = (title, profile) =>
    [
      `${title} (per operation):`,
      ...profile.steps
        .slice(0, 14)
        .map(
          (s) =>
            `  ${s.step.padEnd(48)} ×${String(s.per_op).padEnd(5)} ${String(s.ms_per_op).padStart(7)} ms${s.rows_written_per_op !== undefined ? `  ${s.rows_written_per_op} rows written, ${s.rows_read_per_op} read` : ""}`,
        ),
    ].join("\n");
  const machine = `Machine: ${r.machine.cpus} cores, ${r.machine.memory_gib} GiB, load ${r.machine.load_average_at_start.join(" ")} at start (shared: ${r.machine.note}).`;
  return [
    table,
    "",
    prices,
    machine,
    "",
    "```",
    steps("Create subscription", r.create.subscription),
    "",
    "",
    steps("Create customer", r.create.customer),
    "",
    steps("Renewal (test clock)", r.renewal.profile),
    "```",
  ].join("\n");
}
