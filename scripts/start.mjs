#!/usr/bin/env node
// `npm start`: wrangler dev with local (embedded) storage and the local keys of docs/billing-rules.md, Conventions,
// unless .dev.vars sets others. Extra arguments pass through: npm start -- --port 8799
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const defaults = { BILLIFY_API_KEY: "sk_test_local", BILLIFY_ADMIN_KEY: "sk_admin_local", BILLIFY_MODE: "test" };

const devVars = join(root, ".dev.vars");
const set = new Set();
if (existsSync(devVars)) {
  for (const line of readFileSync(devVars, "utf8").split("\n")) {
    const match = /^\s*([A-Z0-9_]+)\s*=/.exec(line);
    if (match) set.add(match[1]);
  }
}

// The customer's page links (hosted_invoice_url, invoice_pdf, portal URLs) point at the port the
// service really listens on: `npm start -- --port 8799` links to http://localhost:8799.
const args = process.argv.slice(2);
const portAt = args.findIndex((a) => a === "--port" || a.startsWith("--port="));
const port = portAt < 0 ? "8787" : args[portAt].includes("=") ? args[portAt].split("=")[1] : args[portAt + 1];
defaults.BILLIFY_PUBLIC_URL = `http://localhost:${port}`;

const vars = Object.entries(defaults)
  .filter(([name]) => !set.has(name))
  .flatMap(([name, value]) => ["--var", `${name}:${value}`]);

const wrangler = join(root, "node_modules", ".bin", "wrangler");
const child = spawn(wrangler, ["dev", ...vars, ...args], { cwd: root, stdio: "inherit" });
child.on("exit", (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
