// Node helpers for the real-HTTP suites (plain ESM: the project has no @types/node). Types: shell.d.mts.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Runs a program to completion; never throws for a non-zero exit. */
export function run(command, args, { env = {}, input } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

/**
 * curl exactly as a user types it (`args` as on the command line, without -s/-w), plus a trailer
 * with the status: returns the status, the response headers and the body (JSON-parsed when it is).
 */
export async function curl(args) {
  const marker = "\n__STATUS__";
  const { status, stdout, stderr } = await run("curl", ["-sS", "-D", "-", "-w", `${marker}%{http_code}`, ...args]);
  if (status !== 0) throw new Error(`curl ${args.join(" ")} exited ${status}: ${stderr}`);
  const at = stdout.lastIndexOf(marker);
  const raw = stdout.slice(0, at);
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, split);
  const text = raw.slice(split + 4);
  const headers = {};
  for (const line of head.split("\r\n").slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: Number(stdout.slice(at + marker.length)), headers, text, json };
}

export function readText(relativePath) {
  return readFileSync(join(root, relativePath), "utf8");
}

/** A PATH holding only the given programs (symlinks to the system's), e.g. to run a script without jq. */
export function pathWith(programs) {
  const dir = mkdtempSync(join(tmpdir(), "billify-path-"));
  for (const program of programs) symlinkSync(`/usr/bin/${program}`, join(dir, program));
  return { path: dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `fn(dir)` with a fresh temporary directory, removed afterwards. */
export async function withTempDir(fn) {
  const dir = mkdtempSync(join(tmpdir(), "billify-check-"));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function readAbsolute(path) {
  return readFileSync(path, "utf8");
}

/** Every file under `relativeDir` whose name ends with `suffix`, as paths relative to the project. */
export function listFiles(relativeDir, suffix) {
  return readdirSync(join(root, relativeDir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(suffix))
    .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1))
    .sort();
}
