#!/usr/bin/env node
// `npm run bench:limiter`: what the per-key rate limiter (src/api/rate-limit.ts) costs a normal
// request. Two services from the same configuration, one with BILLIFY_RATE_LIMIT=on (its limit
// raised so nothing is refused), one with =off; GET /v1/customers/{id} at concurrency 1 and 8
// against each, interleaved (on, off, off, on, …), median of the rounds. Writes
// bench/results.limiter.json.
//
// Locally the binding is miniflare's emulation, which counts in a Durable Object: one more local
// round trip per request. On Cloudflare the count is kept in memory in the location serving the
// request, so this measure bounds the production cost from above.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseJsonc } from "../scripts/jsonc.mjs";
import { startService } from "../scripts/service.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const QUICK = process.argv.includes("--quick");
const ROUNDS = QUICK ? 3 : 7;
const REQUESTS = QUICK ? 100 : 300;
const AUTH = { Authorization: "Bearer sk_test_local" };

const dir = mkdtempSync(join(tmpdir(), "billify-limiter-"));
const config = parseJsonc(readFileSync(join(root, "wrangler.jsonc"), "utf8"));
delete config.$schema;
config.main = join(root, config.main);
config.assets.directory = join(root, config.assets.directory);
for (const limiter of config.ratelimits) limiter.simple.limit = 1_000_000_000;
const configPath = join(dir, "wrangler.limiter.jsonc");
writeFileSync(configPath, JSON.stringify(config));

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function throughput(base, path, concurrency) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < REQUESTS) {
        next++;
        const response = await fetch(`${base}${path}`, { headers: AUTH });
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`GET ${path} → ${response.status}`);
      }
    }),
  );
  return REQUESTS / ((performance.now() - started) / 1000);
}

const services = {};
try {
  for (const mode of ["on", "off"]) {
    services[mode] = await startService({ config: configPath, vars: { BILLIFY_RATE_LIMIT: mode } });
  }
  const paths = {};
  for (const [mode, service] of Object.entries(services)) {
    const response = await fetch(`${service.url}/v1/customers`, {
      method: "POST",
      headers: { ...AUTH, "Content-Type": "application/json" },
      body: JSON.stringify({ email: "bench@example.com" }),
    });
    paths[mode] = `/v1/customers/${(await response.json()).id}`;
    await throughput(service.url, paths[mode], 4); // warm up
  }
  const results = {};
  for (const concurrency of [1, 8]) {
    const samples = { on: [], off: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ["on", "off"] : ["off", "on"];
      for (const mode of order) samples[mode].push(await throughput(services[mode].url, paths[mode], concurrency));
    }
    const on = median(samples.on);
    const off = median(samples.off);
    results[`c${concurrency}`] = {
      on_req_per_s: Math.round(on * 10) / 10,
      off_req_per_s: Math.round(off * 10) / 10,
      cost_percent: Math.round((1 - on / off) * 1000) / 10,
    };
    console.log(`GET customer c=${concurrency}: limiter on ${on.toFixed(1)} req/s, off ${off.toFixed(1)} req/s`);
  }
  const report = {
    date: new Date().toISOString(),
    machine: { cores: cpus().length, load_at_start: loadavg().map((l) => Math.round(l * 100) / 100) },
    rounds: ROUNDS,
    requests_per_sample: REQUESTS,
    note: "Local binding = miniflare emulation (a Durable Object per count): an upper bound of the production cost.",
    get_customer: results,
  };
  writeFileSync(
    join(root, "bench", QUICK ? "results.limiter.quick.json" : "results.limiter.json"),
    `${JSON.stringify(report, null, 2)}\n`,
  );
} finally {
  await Promise.all(Object.values(services).map((service) => service.stop()));
  rmSync(dir, { recursive: true, force: true });
}
