// The CPU profile of creates and of renewals, taken with V8's sampling profiler through
// workerd's OWN inspector (issue 21, item 1): wrangler's inspector proxy (`--inspector-port`)
// hung on `Profiler.enable`, so this finds the workerd process that runs the Worker (the one
// started with `--inspector-addr`), the port it listens on, and talks to it directly.
//
//   npm run bench:profile              # 200 creates, 200 renewals; writes bench/profile-create.md, bench/profile-renewal.md
//   npm run bench:profile -- --n=50    # other sizes
//
// What it profiles, over real HTTP against `wrangler dev` (scripts/service.mjs, fresh storage):
//  - create: N `POST /v1/subscriptions` (a customer and a monthly plan made before), 8 at a time;
//  - renewal: N subscriptions on one test clock (daily plan, made before the profile starts),
//    then one `advance` of a day: N renewals, each with its attempt, events and read model.
// The table is self time per function (V8's samples, every 100 µs), summed over the whole
// isolate — the Worker and every Durable Object share it locally — so the KV, queue and
// email work that follows the answers is in it too. Needs Node ≥ 20.10 (global WebSocket,
// `--experimental-websocket` on 20; the npm script passes it).
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { startService } from "../scripts/service.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const N = Number(process.argv.find((a) => a.startsWith("--n="))?.split("=")[1] ?? 200);
/** `--herd=N`: only the herd: N renewal alarms due at one instant, profiled for `--window=S` seconds from it. */
const HERD = Number(process.argv.find((a) => a.startsWith("--herd="))?.split("=")[1] ?? 0);
const WINDOW_S = Number(process.argv.find((a) => a.startsWith("--window="))?.split("=")[1] ?? 30);
const TOP = 30;
const AUTH = { Authorization: "Bearer sk_test_local", "Content-Type": "application/json" };
const log = (m) => process.stderr.write(`[profile] ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function api(url, method, path, body) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: AUTH,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = await response.json();
  if (response.status >= 400) throw new Error(`${method} ${path} → ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** Pids listening on a TCP port of 127.0.0.1, and the ports a pid listens on (from `ss -ltnp`). */
function listening() {
  const out = execFileSync("ss", ["-ltnpH"], { encoding: "utf8" });
  return out
    .split("\n")
    .map((line) => ({ port: Number(/127\.0\.0\.1:(\d+)/.exec(line)?.[1]), pid: Number(/pid=(\d+)/.exec(line)?.[1]) }))
    .filter((l) => l.port > 0 && l.pid > 0);
}

/** The inspector of the workerd that serves `port`'s Worker: a sibling of it started with `--inspector-addr`. */
async function workerdInspector(port) {
  const sockets = listening();
  const entry = sockets.find((s) => s.port === port)?.pid;
  if (!entry) throw new Error(`no process listens on ${port}`);
  const parent = execFileSync("ps", ["-o", "ppid=", "-p", String(entry)], { encoding: "utf8" }).trim();
  const siblings = execFileSync("ps", ["-o", "pid=,args=", "--ppid", parent], { encoding: "utf8" })
    .split("\n")
    .filter((line) => line.includes("--inspector-addr"))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
  for (const pid of siblings) {
    for (const s of sockets.filter((x) => x.pid === pid)) {
      try {
        const targets = await (await fetch(`http://127.0.0.1:${s.port}/json/list`)).json();
        if (Array.isArray(targets) && targets.length > 0) return { pid, port: s.port, targets };
      } catch {
        // another of its ports (the debug port)
      }
    }
  }
  throw new Error(`no workerd inspector found among ${siblings.join(", ")}`);
}

/** wrangler's own inspector proxy (`--inspector-port` in its arguments). */
async function wranglerInspector(port) {
  const entry = listening().find((s) => s.port === port)?.pid;
  const parent = execFileSync("ps", ["-o", "ppid=", "-p", String(entry)], { encoding: "utf8" }).trim();
  const args = execFileSync("ps", ["-o", "args=", "-p", parent], { encoding: "utf8" });
  const inspectorPort = Number(/--inspector-port (\d+)/.exec(args)?.[1]);
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json();
  return { pid: Number(parent), port: inspectorPort, targets };
}

/** A tiny CDP client over one WebSocket. */
async function connect(wsUrl) {
  const ws = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = (e) => reject(new Error(`inspector WebSocket ${wsUrl}: ${e.message ?? "error"}`));
  });
  let next = 1;
  const waiting = new Map();
  const scripts = new Map();
  ws.onmessage = (message) => {
    const data = JSON.parse(typeof message.data === "string" ? message.data : message.data.toString());
    if (data.method === "Debugger.scriptParsed") scripts.set(data.params.scriptId, data.params);
    if (data.id && waiting.has(data.id)) {
      const { resolve, reject } = waiting.get(data.id);
      waiting.delete(data.id);
      if (data.error) reject(new Error(JSON.stringify(data.error)));
      else resolve(data.result);
    }
  };
  const send = (method, params = {}, timeoutMs = 30_000) =>
    new Promise((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => reject(new Error(`${method}: no answer in ${timeoutMs} ms`)), timeoutMs);
      waiting.set(id, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject,
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { send, scripts, close: () => ws.close() };
}

// ---- source maps: the bundle's line → the project's file ---------------------------

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
function decodeMappings(mappings) {
  // Per generated line: sorted [column, sourceIndex] (only what the table needs).
  const lines = [];
  let source = 0;
  for (const line of mappings.split(";")) {
    const segments = [];
    let column = 0;
    for (const segment of line.split(",")) {
      if (!segment) continue;
      const values = [];
      let value = 0;
      let shift = 0;
      for (const ch of segment) {
        const digit = B64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      column += values[0];
      if (values.length > 1) {
        source += values[1];
        segments.push([column, source]);
      }
    }
    lines.push(segments);
  }
  return lines;
}

function sourceMapFor(script) {
  if (!script?.url?.startsWith("file://") && !script?.url?.startsWith("/")) return null;
  const path = script.url.replace(/^file:\/\//, "");
  try {
    const map = JSON.parse(readFileSync(`${path}.map`, "utf8"));
    return { sources: map.sources.map((s) => join(dirname(path), s)), lines: decodeMappings(map.mappings) };
  } catch {
    return null;
  }
}

function originalFile(maps, scripts, frame) {
  const script = scripts.get(frame.scriptId);
  if (!maps.has(frame.scriptId)) maps.set(frame.scriptId, sourceMapFor(script));
  const map = maps.get(frame.scriptId);
  if (!map) return script?.url ? script.url.split("/").slice(-2).join("/") : "(native)";
  const segments = map.lines[frame.lineNumber] ?? [];
  let found = null;
  for (const [column, source] of segments) {
    if (column > frame.columnNumber) break;
    found = source;
  }
  if (found === null) return "(bundle)";
  const file = relative(root, map.sources[found]);
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  return dependency ? `node_modules/${dependency[1]}` : file;
}

/** Where a profile node's function lives: its name and file (the project's, via the source map). */
function frameKey(maps, scripts, frame) {
  const name = frame.functionName || (frame.url ? "(anonymous)" : "(root)");
  // No script: V8's own entries, in parentheses, or a native binding (SQL `exec`, KV `put`, …).
  const file = frame.url ? originalFile(maps, scripts, frame) : name.startsWith("(") ? "" : "(native: workerd)";
  return { name, file, key: `${name}\u0000${file}` };
}

/** The SQL helpers (and `Actor`'s arrows around them): their time is charged to the project function that called them. */
const SQL_HELPER_NAMES = new Set(["exec", "query", "queryOne", "toArray", "raw", "one"]);
/** Files whose arrows and `run` only pass a statement on (Actor's query, the tables made on demand). */
const SQL_HELPER_FILES = new Set(["src/actors/actor.ts", "src/actors/capabilities/tables-on-demand.ts"]);
const isSqlHelper = (k) =>
  SQL_HELPER_NAMES.has(k.name) || (SQL_HELPER_FILES.has(k.file) && (k.name === "(anonymous)" || k.name === "run"));

/**
 * From a V8 CPU profile: self time per function (top `TOP`); total time (self and everything
 * it called) per project function (`src/`); and the SQL time (native `exec` and the actors'
 * query helpers) charged to the nearest project function that called it.
 */
function table(profile, scripts) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const samples = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i + 1] ?? 0;
    samples.set(profile.samples[i], (samples.get(profile.samples[i]) ?? 0) + delta);
  }
  const maps = new Map();
  const keys = new Map();
  const keyOf = (id) => {
    if (!keys.has(id)) keys.set(id, frameKey(maps, scripts, byId.get(id).callFrame));
    return keys.get(id);
  };
  const self = new Map();
  const inclusive = new Map();
  const sqlBy = new Map();
  let total = 0;
  let sqlTotal = 0;
  for (const [id, us] of samples) {
    const leaf = keyOf(id);
    self.set(leaf.key, (self.get(leaf.key) ?? 0) + us);
    total += us;
    const seen = new Set();
    let sqlCaller = isSqlHelper(leaf) && (leaf.file === "(native: workerd)" || leaf.file.startsWith("src/"));
    if (sqlCaller) sqlTotal += us;
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const k = keyOf(at);
      if (!k.file.startsWith("src/")) continue;
      if (!seen.has(k.key)) {
        seen.add(k.key);
        inclusive.set(k.key, (inclusive.get(k.key) ?? 0) + us);
      }
      if (sqlCaller && !isSqlHelper(k)) {
        sqlBy.set(k.key, (sqlBy.get(k.key) ?? 0) + us);
        sqlCaller = false;
      }
    }
  }
  const top = (map, n) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([key, us]) => {
        const [fn, file] = key.split("\u0000");
        return { fn, file, ms: us / 1000, pct: (100 * us) / total };
      });
  return {
    totalMs: total / 1000,
    sqlMs: sqlTotal / 1000,
    rows: top(self, TOP),
    inclusive: top(inclusive, TOP),
    sql: top(sqlBy, 15),
  };
}

const rowsOf = (rows) =>
  rows.map((r, i) => `| ${i + 1} | \`${r.fn}\` | ${r.file || ""} | ${r.ms.toFixed(1)} | ${r.pct.toFixed(1)} |`);

function markdown(title, what, result, wallMs, extra) {
  const lines = [
    `# ${title}`,
    "",
    `Generated by \`npm run bench:profile\` (bench/profile.mjs) on ${new Date().toISOString()}: ${what}`,
    "",
    `Sampled CPU (V8 profiler, 100 µs, the whole workerd isolate: Worker and every Durable Object): ${result.totalMs.toFixed(0)} ms over ${(wallMs / 1000).toFixed(1)} s of wall time. \`(root)\` and \`(idle)\` are samples with no JavaScript on the stack (workerd does not tell V8 when it is idle, so waiting on I/O, timers and the other processes of a loaded machine count as \`(root)\`); \`(program)\` and \`(garbage collector)\` are V8's own; \`(native: workerd)\` is the time inside a binding's synchronous call (SQL \`exec\`, KV \`put\`, queue \`sendBatch\`).`,
    "",
    ...extra,
    "",
    "| # | function | file | self ms | % |",
    "|---|---|---|---:|---:|",
    ...rowsOf(result.rows),
    "",
    `Top ${TOP} project functions (src/) by total time: their own and everything they called, in % of all samples:`,
    "",
    "| # | function | file | total ms | % |",
    "|---|---|---|---:|---:|",
    ...rowsOf(result.inclusive),
    "",
    `SQL (native \`exec\` and the actors' query helpers: ${result.sqlMs.toFixed(0)} ms, ${((100 * result.sqlMs) / result.totalMs).toFixed(1)} %) by the project function that ran it:`,
    "",
    "| # | function | file | SQL ms | % of all |",
    "|---|---|---|---:|---:|",
    ...rowsOf(result.sql),
    "",
  ];
  return lines.join("\n");
}

async function profiled(command, run) {
  await command("Profiler.setSamplingInterval", { interval: 100 });
  await command("Profiler.start");
  const t0 = Date.now();
  await run();
  const wallMs = Date.now() - t0;
  const { profile } = await command("Profiler.stop", {}, 120_000);
  return { profile, wallMs };
}

/**
 * HERD subscriptions (daily plan) renewing from their own alarms at one instant T: the profile
 * runs from 1 s before T for WINDOW_S seconds, while one request at a time reads another
 * subscription (the API probe); its latencies are in the file too.
 */
async function herdProfile(service, command, cdp) {
  const customers = [];
  for (let i = 0; i < 16; i++)
    customers.push(
      await api(service.url, "POST", "/v1/customers", { email: `h${i}@example.com`, payment_method: "pm_card_visa" }),
    );
  const plan = await api(service.url, "POST", "/v1/plans", {
    id: `plan_herd_${Date.now()}`,
    name: "Daily",
    currency: "usd",
    amount: 500,
    interval: "day",
  });
  const probe = await api(service.url, "POST", "/v1/subscriptions", { customer: customers[0].id, plan: plan.id });
  const dueMs = Math.ceil((Date.now() + HERD * 120 + 15_000) / 1000) * 1000;
  const anchor = new Date(dueMs).toISOString().replace(/\.\d{3}Z$/, "Z");
  let k = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (k < HERD) {
        const i = k++;
        await api(service.url, "POST", "/v1/subscriptions", {
          customer: customers[i % customers.length].id,
          plan: plan.id,
          billing_cycle_anchor: anchor,
        });
      }
    }),
  );
  if (Date.now() > dueMs - 2_000) throw new Error("seeding the herd took longer than planned; use a smaller --herd");
  log(`${HERD} subscriptions due at ${anchor}`);
  await sleep(dueMs - 1_000 - Date.now());
  const latencies = [];
  let over = false;
  const probing = (async () => {
    while (!over) {
      const t = performance.now();
      await api(service.url, "GET", `/v1/subscriptions/${probe.id}`);
      latencies.push(performance.now() - t);
      await sleep(20);
    }
  })();
  const herd = await profiled(command, () => sleep(WINDOW_S * 1000));
  over = true;
  await probing;
  const sorted = [...latencies].sort((a, b) => a - b);
  const q = (x) => sorted[Math.min(sorted.length - 1, Math.floor(x * sorted.length))]?.toFixed(0);
  // The raw profile too (not committed): Chrome DevTools opens it, with its timeline.
  writeFileSync(join(root, "bench", ".profile-herd.cpuprofile"), JSON.stringify(herd.profile));
  writeFileSync(
    join(root, "bench", "profile-herd.md"),
    markdown(
      "CPU profile: a herd of renewal alarms",
      `${HERD} subscriptions (daily plan, fake gateway) renewing from their own alarms at one instant, profiled from 1 s before it for ${WINDOW_S} s, while a probe reads another subscription one request at a time: ${latencies.length} probes, p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${sorted.at(-1)?.toFixed(0)} ms.`,
      table(herd.profile, cdp.scripts),
      herd.wallMs,
      [`Top ${TOP} by self time:`],
    ),
  );
  log(
    `herd of ${HERD}: probes p50 ${q(0.5)} ms, p99 ${q(0.99)} ms over ${latencies.length}; wrote bench/profile-herd.md`,
  );
}

const service = await startService({});
try {
  const inspector = process.argv.includes("--via-wrangler")
    ? await wranglerInspector(service.port)
    : await workerdInspector(service.port);
  log(
    `workerd pid ${inspector.pid}, inspector 127.0.0.1:${inspector.port}: ${inspector.targets.map((t) => t.title ?? t.id).join(", ")}`,
  );
  // The Worker's own isolate (not wrangler's proxy workers).
  const target =
    inspector.targets.find((t) => /billify/i.test(`${t.title} ${t.url}`) && !/proxy/i.test(t.title ?? "")) ??
    inspector.targets[0];
  // NOTE: wrangler's inspector proxy holds workerd's one inspector session (it connects at
  // start, to forward console output); a second client's commands are never answered. The
  // proxy's socket is closed first (`ss -K`, needs CAP_NET_ADMIN), which ends its session.
  try {
    execFileSync("ss", ["-K", "dst", "127.0.0.1", "dport", "=", String(inspector.port)], { stdio: "ignore" });
    execFileSync("ss", ["-K", "src", "127.0.0.1", "sport", "=", String(inspector.port)], { stdio: "ignore" });
  } catch (error) {
    log(`could not close wrangler's inspector session: ${error.message}`);
  }
  await sleep(500);
  const cdp = await connect(target.webSocketDebuggerUrl);
  // NOTE: workerd hands an inspector message to the isolate only when something runs in it: a
  // command sent to an idle Worker waits (this is what looked like `Profiler.enable` hanging
  // through wrangler's proxy). So every command is sent with a request to the service beside it.
  const poke = () => fetch(`${service.url}/v1/openapi.json`).then((r) => r.arrayBuffer());
  const command = async (method, params, timeoutMs) => {
    const answer = cdp.send(method, params, timeoutMs);
    for (let i = 0; i < 20; i++) {
      const done = await Promise.race([answer.then(() => true), sleep(250).then(() => false)]);
      if (done) break;
      await poke();
    }
    return answer;
  };
  await command("Debugger.enable"); // scriptParsed events name the bundle (its source map)
  await command("Profiler.enable");
  log(`connected to ${target.title ?? target.id}; Profiler.enable answered`);

  if (HERD > 0) {
    await herdProfile(service, command, cdp);
    cdp.close();
    process.exit(0);
  }

  // ---- creates ------------------------------------------------------------------------
  const customer = await api(service.url, "POST", "/v1/customers", {
    email: "p@example.com",
    payment_method: "pm_card_visa",
  });
  const plan = await api(service.url, "POST", "/v1/plans", {
    id: `plan_profile_${Date.now()}`,
    name: "Basic",
    currency: "usd",
    amount: 1000,
    interval: "month",
  });
  const many = async (count, one) => {
    let k = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (k < count) {
          k++;
          await one();
        }
      }),
    );
  };
  const creates = await profiled(command, () =>
    many(N, () => api(service.url, "POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id })),
  );
  await sleep(1000);
  log(`${N} creates in ${creates.wallMs} ms`);
  writeFileSync(
    join(root, "bench", "profile-create.md"),
    markdown(
      "CPU profile: creating subscriptions",
      `${N} \`POST /v1/subscriptions\` (one customer, one monthly plan, 8 at a time).`,
      table(creates.profile, cdp.scripts),
      creates.wallMs,
      [`Top ${TOP} by self time:`],
    ),
  );

  // ---- renewals ------------------------------------------------------------------------
  const clock = await api(service.url, "POST", "/v1/test_clocks", { frozen_time: "2026-01-01T00:00:00Z" });
  const onClock = await api(service.url, "POST", "/v1/customers", {
    email: "c@example.com",
    payment_method: "pm_card_visa",
    test_clock: clock.id,
  });
  const daily = await api(service.url, "POST", "/v1/plans", {
    id: `plan_daily_${Date.now()}`,
    name: "Daily",
    currency: "usd",
    amount: 100,
    interval: "day",
  });
  await many(N, () => api(service.url, "POST", "/v1/subscriptions", { customer: onClock.id, plan: daily.id }));
  await sleep(3000); // the creates' events, KV puts and emails, outside the profile
  const renewals = await profiled(command, async () => {
    let c = await api(service.url, "POST", `/v1/test_clocks/${clock.id}/advance`, {
      frozen_time: "2026-01-02T00:00:00Z",
    });
    while (c.status === "advancing") {
      await sleep(250);
      c = await api(service.url, "GET", `/v1/test_clocks/${clock.id}`);
    }
    await sleep(1000); // what follows the answers (events, read model)
  });
  log(`${N} renewals in ${renewals.wallMs} ms`);
  writeFileSync(
    join(root, "bench", "profile-renewal.md"),
    markdown(
      "CPU profile: renewals on a test clock",
      `${N} subscriptions on one test clock (daily plan), one \`advance\` of a day: ${N} renewals, each paid, with its events and read model; 1 s after the clock is ready included.`,
      table(renewals.profile, cdp.scripts),
      renewals.wallMs,
      [`Top ${TOP} by self time:`],
    ),
  );
  cdp.close();
} finally {
  await service.stop();
}
