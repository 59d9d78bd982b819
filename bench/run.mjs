#!/usr/bin/env node
// `npm run bench [-- --quick]`: starts Billify itself (wrangler dev, bench configuration, fresh
// storage, free port), measures every row of issue 12's table against a bare Durable Object
// echo measured in the same run, interleaved, median of 3; profiles a create and a renewal;
// runs the renewal herds; prints a markdown table and writes bench/results.json.
//
// Plain Node ESM (like scripts/service.mjs): the runner is a client, outside workerd.
import { execSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startService } from "../scripts/service.mjs";
import { PRICES, costPerMillion, markdown } from "./report.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const QUICK = process.argv.includes("--quick");
/** `--only=herd` (or `--only=throughput`): one part, to debug it; writes no results. */
const ONLY = process.argv.find((a) => a.startsWith("--only="))?.slice(7) ?? null;
const CONFIG = join(root, "bench", "wrangler.bench.jsonc");
const AUTH = { Authorization: "Bearer sk_test_local" };
const JSON_AUTH = { ...AUTH, "Content-Type": "application/json" };

/** Sizes: `--quick` keeps the whole run under two minutes on a busy 2-core machine. */
const SIZE = QUICK
  ? { seconds: 0.3, concurrency: [1, 8, 32], reps: 3, invoices: [0, 10_000, 50_000], clockSubs: 80, herd: 100, limitedHerd: 150, profileCreates: 8 }
  : { seconds: 1.5, concurrency: [1, 8, 32], reps: 3, invoices: [0, 10_000, 50_000], clockSubs: 1_000, herd: 1_000, limitedHerd: 10_000, profileCreates: 40 };
const GATEWAY_RATE = 100;
/** What Billify is configured to use of it (BILLIFY_GATEWAY_RATE): headroom for other calls. */
const PACED_RATE = 80;
/**
 * Sizes can be overridden: `--herd=N` (the rate-limited herd, 10,000 by default: seeding it
 * takes minutes on a busy machine), `--alarms=N` (the unlimited herd), `--clock=N`.
 */
const sizeArg = (name) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? Number.NaN);
if (sizeArg("herd") > 0) SIZE.limitedHerd = sizeArg("herd");
if (sizeArg("alarms") > 0) SIZE.herd = sizeArg("alarms");
if (sizeArg("clock") > 0) SIZE.clockSubs = sizeArg("clock");

const started = Date.now();
const log = (message) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const quantile = (xs, q) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const round = (x, digits = 2) => (x === null || x === undefined ? null : Number(x.toFixed(digits)));

// ---- HTTP -----------------------------------------------------------------------------

let base = "";

async function call(method, path, body, { timeoutMs = 30_000, headers = {} } = {}) {
  const response = await fetch(base + path, {
    method,
    headers: body === undefined ? { ...AUTH, ...headers } : { ...JSON_AUTH, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // plain text (the echo)
  }
  return { status: response.status, body: parsed };
}

async function ok(method, path, body, timeoutMs = 30_000) {
  const r = await call(method, path, body, { timeoutMs });
  if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** `c` workers issue `request()` back to back for `seconds`; throughput and latencies. */
async function load(c, seconds, request) {
  const latencies = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: c }, async (_, worker) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const start = performance.now();
        try {
          const r = await request(worker, i);
          if (r.status >= 300) errors += 1;
        } catch {
          errors += 1;
        }
        latencies.push(performance.now() - start);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  return { rps: latencies.length / elapsed, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), n: latencies.length, errors };
}

/** Runs `tasks` with at most `c` in flight. */
async function pool(items, c, task) {
  let next = 0;
  const out = new Array(items.length);
  await Promise.all(
    Array.from({ length: Math.min(c, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await task(items[i], i);
      }
    }),
  );
  return out;
}

// ---- the service ------------------------------------------------------------------------

const running = new Set();
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    await Promise.all([...running].map((service) => service.stop()));
    process.exit(130);
  });
}

async function withService(vars, run) {
  const service = await startService({ config: CONFIG, vars });
  running.add(service);
  base = service.url;
  try {
    return await run(service);
  } catch (error) {
    const errors = service.log().split("\n").filter((l) => /error|warn|fail|uncaught/i.test(l) && !/Request.cf|ENOTFOUND/.test(l));
    process.stderr.write(`service errors (last 40):\n${errors.slice(-40).join("\n")}\n`);
    throw error;
  } finally {
    running.delete(service);
    await service.stop();
  }
}

const isoIn = (seconds) => new Date(Math.ceil(Date.now() / 1000 + seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

async function newCustomers(n, extra = {}) {
  return pool(Array.from({ length: n }, (_, i) => i), 16, async (i) =>
    (await ok("POST", "/v1/customers", { email: `bench${i}@example.com`, payment_method: "pm_card_visa", ...extra })).id,
  );
}

// ---- 1. throughput against the echo -------------------------------------------------------

async function throughput() {
  const plan = (await ok("POST", "/v1/plans", { name: "Bench", currency: "usd", amount: 1000, interval: "month" })).id;
  const customers = await newCustomers(64);
  const subscription = (await ok("POST", "/v1/subscriptions", { customer: customers[0], plan })).id;
  const targets = {
    echo_warm: () => call("GET", "/bench/echo/warm"),
    echo_new: () => call("GET", "/bench/echo/new"),
    get_subscription: () => call("GET", `/v1/subscriptions/${subscription}`),
    get_customer: () => call("GET", `/v1/customers/${customers[0]}`),
    post_customer: () => call("POST", "/v1/customers", { email: "load@example.com", payment_method: "pm_card_visa" }),
    post_subscription: (worker, i) => call("POST", "/v1/subscriptions", { customer: customers[(worker * 7 + i) % customers.length], plan }),
  };
  const samples = {}; // name → c → [{rps,p50,p99}] per rep
  const total = SIZE.reps * SIZE.concurrency.length * Object.keys(targets).length;
  let done = 0;
  for (let rep = 0; rep < SIZE.reps; rep++) {
    for (const c of SIZE.concurrency) {
      for (const [name, request] of Object.entries(targets)) {
        const r = await load(c, SIZE.seconds, request);
        ((samples[name] ??= {})[c] ??= []).push(r);
        done += 1;
        log(`throughput ${done}/${total}: ${name} c=${c} rep ${rep + 1}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99?.toFixed(0)} ms${r.errors ? `, ${r.errors} errors` : ""}`);
      }
    }
  }
  const result = {};
  for (const [name, byC] of Object.entries(samples)) {
    result[name] = {};
    for (const [c, reps] of Object.entries(byC)) {
      const warm = samples.echo_warm[c];
      const fresh = samples.echo_new[c];
      result[name][c] = {
        rps: round(median(reps.map((r) => r.rps)), 1),
        p50_ms: round(median(reps.map((r) => r.p50)), 1),
        p99_ms: round(median(reps.map((r) => r.p99)), 1),
        errors: reps.reduce((s, r) => s + r.errors, 0),
        x_warm_echo: round(median(reps.map((r, i) => r.rps / warm[i].rps))),
        x_new_object_echo: round(median(reps.map((r, i) => r.rps / fresh[i].rps))),
      };
    }
  }
  return { result, plan, customers };
}

// ---- 2. a customer's invoices with many others ------------------------------------------

async function invoiceListing(plan) {
  const customer = (await newCustomers(1))[0];
  const listed = (await ok("POST", "/v1/subscriptions", { customer, plan })).id;
  const bulk = (await ok("POST", "/v1/subscriptions", { customer, plan })).id;
  const out = {};
  let seeded = 0;
  for (const others of SIZE.invoices) {
    if (others > seeded) await ok("POST", "/bench/seed-invoices", { subscription: bulk, count: others - seeded, from: seeded });
    seeded = others;
    const expectedTotal = 2 + others;
    const latencies = [];
    let exact = true;
    for (let i = 0; i < (QUICK ? 10 : 40); i++) {
      const t = performance.now();
      const page = (await call("GET", `/v1/customers/${customer}/invoices?limit=10`)).body;
      latencies.push(performance.now() - t);
      const ids = page.data.map((inv) => inv.id);
      const sorted = [...ids].sort().reverse();
      exact &&= ids.length === Math.min(10, expectedTotal) && ids.every((id, k) => id === sorted[k]) && page.has_more === expectedTotal > 10;
      exact &&= ids.slice(0, 2).every((id) => !page.data.find((inv) => inv.id === id).number.startsWith("seed-"));
    }
    out[others] = { p50_ms: round(quantile(latencies, 0.5), 1), p99_ms: round(quantile(latencies, 0.99), 1), exact };
    log(`invoices with ${others} others: p50 ${out[others].p50_ms} ms, exact ${exact}`);
  }
  void listed;
  return out;
}

// ---- 3. profiles: a create, a renewal ---------------------------------------------------

async function profile(run) {
  await ok("POST", "/bench/profile/start");
  await run();
  return ok("GET", "/bench/profile?stop=1");
}

/** Folds a probe snapshot into steps per operation and rows per statement. */
function breakdown(snap, operations) {
  const steps = [];
  const statements = [];
  let rowsWritten = 0;
  let rowsRead = 0;
  for (const [key, t] of Object.entries(snap.steps)) {
    if (key.includes(" sql ")) {
      rowsWritten += t.rowsWritten;
      rowsRead += t.rowsRead;
      if (t.rowsWritten > 0) statements.push({ statement: key, per_op: round(t.n / operations, 2), rows_written_per_op: round(t.rowsWritten / operations, 2) });
    } else {
      steps.push({ step: key, per_op: round(t.n / operations, 2), ms_per_op: round(t.ms / operations, 2), ...(key.endsWith("transaction") ? { rows_written_per_op: round(t.rowsWritten / operations, 2) } : {}) });
    }
  }
  steps.sort((a, b) => b.ms_per_op - a.ms_per_op);
  statements.sort((a, b) => b.rows_written_per_op - a.rows_written_per_op);
  return {
    operations,
    rows_written_per_op: round(rowsWritten / operations, 2),
    rows_read_per_op: round(rowsRead / operations, 2),
    kv_writes_per_op: round(snap.kvWrites / operations, 2),
    do_requests_per_op: round(steps.filter((s) => s.step.includes("→") && !s.step.startsWith("router")).reduce((n, s) => n + s.per_op, 0), 2),
    steps,
    statements,
  };
}

async function advanceClock(clock, to) {
  const r = await call("POST", `/v1/test_clocks/${clock}/advance`, { frozen_time: to }, { timeoutMs: 600_000 });
  if (r.status >= 300) throw new Error(`advance → ${r.status} ${JSON.stringify(r.body)}`);
  for (let status = r.body.status; status !== "ready"; ) {
    await sleep(100);
    status = (await ok("GET", `/v1/test_clocks/${clock}`)).status;
  }
}

async function clockRenewals(plan) {
  const frozen = "2026-01-01T00:00:00Z";
  const clock = (await ok("POST", "/v1/test_clocks", { frozen_time: frozen })).id;
  const customers = await newCustomers(20, { test_clock: clock });
  log(`clock: creating ${SIZE.clockSubs} subscriptions on one clock`);
  await pool(Array.from({ length: SIZE.clockSubs }, (_, i) => i), 16, async (i) => ok("POST", "/v1/subscriptions", { customer: customers[i % customers.length], plan }));
  let seconds = 0;
  const snap = await profile(async () => {
    const t = performance.now();
    await advanceClock(clock, "2026-02-01T00:00:00Z");
    seconds = (performance.now() - t) / 1000;
  });
  const renewals = SIZE.clockSubs;
  log(`clock: ${renewals} renewals in ${seconds.toFixed(1)} s = ${(renewals / seconds).toFixed(0)}/s`);
  return { subscriptions: renewals, seconds: round(seconds, 2), renewals_per_second: round(renewals / seconds, 1), profile: breakdown(snap, renewals) };
}

async function createProfile(plan, customers) {
  const n = SIZE.profileCreates;
  const snap = await profile(async () => {
    for (let i = 0; i < n; i++) await ok("POST", "/v1/subscriptions", { customer: customers[i % customers.length], plan });
  });
  return breakdown(snap, n);
}

async function customerCreateProfile() {
  const n = SIZE.profileCreates;
  const snap = await profile(async () => {
    for (let i = 0; i < n; i++) await ok("POST", "/v1/customers", { email: "p@example.com", payment_method: "pm_card_visa" });
  });
  return breakdown(snap, n);
}

// ---- 4. herds of real alarms --------------------------------------------------------------

/**
 * N subscriptions (daily plan) whose billing_cycle_anchor is one instant T: at T every one of
 * them renews from its own alarm. Measures when the gateway charged them, what it rejected,
 * and the API's latency (GET of an unrelated subscription) and the warm echo's during the herd.
 */
async function herd(n, rate) {
  const plan = (await ok("POST", "/v1/plans", { name: "Daily", currency: "usd", amount: 500, interval: "day" })).id;
  const customers = await newCustomers(32);
  const probeSub = (await ok("POST", "/v1/subscriptions", { customer: customers[0], plan })).id;
  await ok("POST", "/bench/gateway/reset?rate=100000");
  // Creating is measured above (~30–60/s here); leave room so every one exists before T.
  const t0 = performance.now();
  const sample = await load(8, 1.5, (w, i) => call("POST", "/v1/subscriptions", { customer: customers[(w + i) % customers.length], plan }));
  const seedRate = Math.max(5, sample.rps);
  const dueIn = Math.ceil((n / seedRate) * 1.3 + 6);
  const due = isoIn(dueIn);
  const dueMs = Date.parse(due);
  log(`herd ${n}: seeding at ~${seedRate.toFixed(0)}/s, all due at ${due} (in ${dueIn} s)`);
  const ids = await pool(Array.from({ length: n }, (_, i) => i), 16, async (i) => {
    const sub = await ok("POST", "/v1/subscriptions", { customer: customers[i % customers.length], plan, billing_cycle_anchor: due });
    if (i % 500 === 499) log(`herd ${n}: ${i + 1} created`);
    return sub.id;
  });
  const seededAt = Date.now();
  if (seededAt > dueMs) log(`herd ${n}: seeding finished ${((seededAt - dueMs) / 1000).toFixed(1)} s after the due time`);
  await ok("POST", `/bench/gateway/reset?rate=${rate ?? 100000}`);
  void t0;
  // Probes from 2 s before T to the end of the herd.
  await sleep(Math.max(0, dueMs - Date.now() - 2_000));
  const probes = { api: [], echo: [], apiErrors: 0, echoErrors: 0 };
  let herdOver = false;
  const prober = (path, into, errorKey) =>
    (async () => {
      while (!herdOver) {
        const t = performance.now();
        const at = Date.now();
        try {
          const r = await call("GET", path, undefined, { timeoutMs: 10_000 });
          if (r.status >= 300) probes[errorKey] += 1;
        } catch {
          probes[errorKey] += 1;
        }
        if (at >= dueMs) into.push(performance.now() - t);
        await sleep(20);
      }
    })();
  const probing = [0, 1].map(() => prober(`/v1/subscriptions/${probeSub}`, probes.api, "apiErrors")).concat([prober("/bench/echo/warm", probes.echo, "echoErrors")]);
  const limitS = rate ? (n / rate) * 2 + 60 : 120;
  let report = { invoices_paid: 0, invoices_paid_twice: 0, rejected: 0, first_charge_ms: null, last_charge_ms: null, max_charges_in_one_second: 0 };
  for (;;) {
    await sleep(1_000);
    try {
      report = await ok("GET", "/bench/gateway", undefined, 60_000);
    } catch (error) {
      // The herd can saturate the process for a while: a slow poll is a measurement, not a failure.
      log(`herd ${n}: gateway poll failed (${error.name ?? error}); polling again`);
      if ((Date.now() - dueMs) / 1000 > limitS) break;
      continue;
    }
    const waited = (Date.now() - dueMs) / 1000;
    log(`herd ${n}: ${report.invoices_paid}/${n} paid, ${report.rejected} rejected, ${waited.toFixed(0)} s after due`);
    if (report.invoices_paid >= n || waited > limitS) break;
  }
  herdOver = true;
  await Promise.all(probing);
  // Exactly once, from the API: every subscription has its two invoices, both paid, each with one success.
  const checkIds = QUICK ? ids : ids.filter((_, i) => i % Math.ceil(n / 500) === 0);
  const checks = await pool(checkIds, 8, async (id) => {
    const invoices = (await ok("GET", `/v1/subscriptions/${id}/invoices?limit=10`, undefined, 120_000)).data;
    const paid = invoices.filter((inv) => inv.status === "paid").length;
    return { invoices: invoices.length, paid };
  });
  return {
    subscriptions: n,
    gateway_rate_limit_per_second: rate,
    seeding_finished_s_before_due: round((dueMs - seededAt) / 1000, 1),
    paid: report.invoices_paid,
    paid_twice: report.invoices_paid_twice,
    rejected_by_gateway: report.rejected,
    first_charge_s_after_due: report.first_charge_ms === null ? null : round((report.first_charge_ms - dueMs) / 1000, 1),
    last_charge_s_after_due: report.last_charge_ms === null ? null : round((report.last_charge_ms - dueMs) / 1000, 1),
    max_charges_in_one_second: report.max_charges_in_one_second,
    api_p50_ms: round(quantile(probes.api, 0.5), 0),
    api_p99_ms: round(quantile(probes.api, 0.99), 0),
    api_errors: probes.apiErrors,
    echo_p99_ms: round(quantile(probes.echo, 0.99), 0),
    echo_errors: probes.echoErrors,
    api_checked: checks.length,
    api_checked_all_paid_once: checks.every((c) => c.invoices === 2 && c.paid === 2),
  };
}

// ---- main -------------------------------------------------------------------------------

function versions() {
  const pkg = (name) => {
    try {
      return JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")).version;
    } catch {
      return null;
    }
  };
  let commit = null;
  try {
    commit = process.env.BENCH_COMMIT ?? execSync("git rev-parse --short HEAD", { cwd: root, stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
  } catch {
    // not a checkout
  }
  return { node: process.version, wrangler: pkg("wrangler"), workerd: pkg("workerd") ?? pkg("wrangler/node_modules/workerd"), miniflare: pkg("miniflare") ?? pkg("wrangler/node_modules/miniflare"), commit };
}

async function main() {
  const machine = {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? null,
    memory_gib: round(totalmem() / 2 ** 30, 1),
    load_average_at_start: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).map(Number),
    note: "a shared machine: other engineers ran tests during the run, so absolute numbers are pessimistic; ratios are to an echo measured in the same run, interleaved",
  };
  log(`bench${QUICK ? " --quick" : ""} on ${machine.cpus} cores, load ${machine.load_average_at_start.join(" ")}`);
  const results = { generated: new Date().toISOString(), quick: QUICK, argv: process.argv.slice(2), sizes: SIZE, machine, versions: versions(), prices: PRICES };

  if (ONLY !== "herd") await withService({}, async () => {
    log("service up (default configuration, fake gateway)");
    const { result, plan, customers } = await throughput();
    results.throughput = result;
    results.invoice_listing = await invoiceListing(plan);
    log("profiling creates");
    results.create = { subscription: await createProfile(plan, customers), customer: await customerCreateProfile() };
    results.renewal = await clockRenewals(plan);
  });
  if (ONLY !== "throughput") {
    await withService({ BENCH_GATEWAY_RATE: "100000" }, async () => {
      log("service up (herd configuration: the bench's gateway, unlimited, charges unpaced)");
      results.herd_unlimited = await herd(SIZE.herd, null);
    });
    // The production answer to a gateway limit: BILLIFY_GATEWAY_RATE paces charges below it.
    await withService({ BENCH_GATEWAY_RATE: String(GATEWAY_RATE), BILLIFY_GATEWAY_RATE: String(PACED_RATE) }, async () => {
      log(`service up (herd configuration: the bench's gateway limited to ${GATEWAY_RATE}/s, BILLIFY_GATEWAY_RATE=${PACED_RATE})`);
      results.herd = { ...(await herd(SIZE.limitedHerd, GATEWAY_RATE)), billify_gateway_rate: PACED_RATE };
    });
  }
  if (ONLY) {
    console.log(JSON.stringify(results, null, 2));
    return;
  }

  const r = results.renewal.profile;
  results.renewal.rows_written_per_renewal = r.rows_written_per_op;
  results.renewal.kv_writes_per_renewal = r.kv_writes_per_op;
  results.renewal.dollars_per_million_renewals = costPerMillion(r);
  results.create.subscription.dollars_per_million = costPerMillion(results.create.subscription);
  results.elapsed_s = round((Date.now() - started) / 1000, 0);

  const file = join(root, "bench", QUICK ? "results.quick.json" : "results.json");
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\n${markdown(results)}\n`);
  log(`wrote ${file}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
