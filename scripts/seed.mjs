#!/usr/bin/env node
// `npm run seed`: fills a running Billify (default http://localhost:8787, i.e. `npm start`)
// with demo data: 5 plans, 200 customers on 40 test clocks, a year of history.
//   npm run seed -- --url http://localhost:8799 --customers 50
// The admin key is BILLIFY_ADMIN_KEY from the environment, else the local sk_admin_local.
import { seed } from "./seed-data.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const url = option("url", process.env.BILLIFY_URL ?? "http://localhost:8787").replace(/\/$/, "");
const customers = Number(option("customers", "200"));
const adminKey = process.env.BILLIFY_ADMIN_KEY ?? "sk_admin_local";

function bar(done, total, label) {
  const width = 30;
  const filled = Math.round((done / total) * width);
  const line = `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${String(Math.round((100 * done) / total)).padStart(3)}%  ${label}`;
  if (process.stderr.isTTY)
    process.stderr.write(
      `\r${line.slice(0, process.stderr.columns - 1 || 100).padEnd(Math.min(100, (process.stderr.columns || 100) - 1))}`,
    );
  else if (done === total || done % 25 === 0) process.stderr.write(`${line}\n`);
}

const started = Date.now();
try {
  const health = await fetch(`${url}/v1/openapi.json`).catch(() => null);
  if (!health?.ok) throw new Error(`No Billify answers at ${url}. Start it first (npm start), or pass --url.`);
  const made = await seed({ url, adminKey, customers, onProgress: bar });
  if (process.stderr.isTTY) process.stderr.write("\n");
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `Seeded ${made.plans.length} plans, ${made.customers.length} customers, ${made.subscriptions.length} subscriptions on ${made.clocks.length} test clocks in ${seconds} s.`,
  );
  console.log(`Open ${url}/admin and sign in with the admin key.`);
} catch (error) {
  if (process.stderr.isTTY) process.stderr.write("\n");
  console.error(`Seeding failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
