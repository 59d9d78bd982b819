// Start Billify over real HTTP, exactly as `npm start` does (the project's own wrangler, the
// local keys of docs/billing-rules.md, Conventions), on a free port with fresh storage. Used by the `http` vitest project
// (test/http/global-setup.ts), by bench scripts and by seeding:
//
//   import { startService } from "./scripts/service.mjs";
//   const { url, stop } = await startService();       // url = "http://127.0.0.1:<port>"
//   ...; await stop();                                 // kills wrangler and workerd, removes the state
//
// Plain Node ESM, no dependencies. Types: scripts/service.d.mts.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The local keys of docs/billing-rules.md, Conventions; `vars` given to startService override them. */
export const LOCAL_VARS = {
  BILLIFY_API_KEY: "sk_test_local",
  BILLIFY_ADMIN_KEY: "sk_admin_local",
  BILLIFY_MODE: "test",
};

const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 5_000;
const LOG_LIMIT = 200_000;

/** A port the OS reports free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Start `wrangler dev` for this project and wait until `GET /v1/openapi.json` answers 200.
 * `config` picks another wrangler configuration (the bench's, bench/wrangler.bench.jsonc).
 * @param {{ vars?: Record<string, string>, persistTo?: string, port?: number, quiet?: boolean, config?: string }} [options]
 * @returns {Promise<{ url: string, port: number, stop: () => Promise<void>, kill: () => Promise<void>, log: () => string }>}
 */
export async function startService(options = {}) {
  // The free port can be taken between the check and wrangler's bind on a busy machine: then try another.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (!(error instanceof PortTaken) || options.port !== undefined || attempt >= 3) throw error;
    }
  }
}

class PortTaken extends Error {}

async function startOnce({ vars = {}, persistTo, port, quiet = true, config }) {
  const listen = port ?? (await freePort());
  const inspector = await freePort();
  const ownState = persistTo === undefined;
  const state = persistTo ?? mkdtempSync(join(tmpdir(), "billify-state-"));

  const args = [
    wranglerEntry(),
    "dev",
    ...(config ? ["--config", config] : []),
    "--ip",
    "127.0.0.1",
    "--port",
    String(listen),
    "--inspector-port",
    String(inspector),
    "--persist-to",
    state,
    "--show-interactive-dev-session=false",
    ...Object.entries({ ...LOCAL_VARS, BILLIFY_PUBLIC_URL: `http://127.0.0.1:${listen}`, ...vars }).flatMap(
      ([name, value]) => ["--var", `${name}:${value}`],
    ),
  ];
  const child = spawn(nodeBinary(), args, {
    cwd: root,
    detached: true, // its own process group: stop() kills wrangler and workerd together
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1", FORCE_COLOR: "0", NO_COLOR: "1" },
  });

  let output = "";
  const capture = (chunk) => {
    if (!quiet) process.stderr.write(chunk);
    output += chunk.toString();
    if (output.length > LOG_LIMIT) output = output.slice(-LOG_LIMIT);
  };
  child.stdout.on("data", capture);
  child.stderr.on("data", capture);

  let exited = null;
  const exit = new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      exited = { code, signal };
      resolve();
    });
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (exited === null) {
      killGroup(child.pid, "SIGTERM");
      const timer = setTimeout(() => killGroup(child.pid, "SIGKILL"), STOP_TIMEOUT_MS);
      await exit;
      clearTimeout(timer);
    }
    // workerd may outlive wrangler for a moment; make sure the whole group is gone.
    killGroup(child.pid, "SIGKILL");
    if (ownState) rmSync(state, { recursive: true, force: true });
  };

  // A crash, not a shutdown: SIGKILL to wrangler and workerd at once, `persistTo` left as it is on disk.
  const kill = async () => {
    if (stopped) return;
    stopped = true;
    killGroup(child.pid, "SIGKILL");
    if (exited === null) await exit;
    if (ownState) rmSync(state, { recursive: true, force: true });
  };

  // wrangler moves to another port when the one asked for was taken meanwhile (a busy shared machine):
  // the address is the one its "Ready on" line names, never assumed, so no other server is mistaken for ours.
  let url = `http://127.0.0.1:${listen}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exited !== null) {
      await stop();
      const message = `wrangler dev exited (${exited.signal ?? exited.code}) before answering on ${url}:\n${output}`;
      throw /Address already in use/i.test(output) ? new PortTaken(message) : new Error(message);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `wrangler dev did not answer GET ${url}/v1/openapi.json within ${READY_TIMEOUT_MS} ms:\n${output}`,
      );
    }
    const ready = /Ready on (http:\/\/[\w.:[\]-]+)/.exec(output);
    // wrangler dev stays up after a build or configuration error (it waits for a file change): fail now.
    if (ready === null && /\[ERROR\]/.test(output)) {
      await stop();
      throw new Error(`wrangler dev reported an error before it was ready:\n${output}`);
    }
    if (ready === null) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    url = ready[1].replace(/\/$/, "");
    try {
      const response = await fetch(`${url}/v1/openapi.json`, { signal: AbortSignal.timeout(5_000) });
      await response.arrayBuffer();
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  return { url, port: Number(new URL(url).port), stop, kill, log: () => output };
}

function killGroup(pid, signal) {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** wrangler's JS entry, run by the project's pinned Node (node_modules/.bin/node) when present. */
function wranglerEntry() {
  return join(root, "node_modules", "wrangler", "bin", "wrangler.js");
}

function nodeBinary() {
  const pinned = join(root, "node_modules", ".bin", "node");
  return existsSync(pinned) ? pinned : process.execPath;
}
