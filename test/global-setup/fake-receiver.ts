/**
 * A programmable HTTP receiver on 127.0.0.1, started once by vitest (Node side) and `provide`d
 * to the tests in workerd as `inject("receiverPort")`. It stands in for webhook receivers and
 * for the email providers' APIs (Mailgun, SendGrid, Resend): every request is recorded with its
 * method, path, headers and raw body, and answered from a per-path script (default 200).
 *
 * Test controls: `POST /__script` `{"path":"/hooks/a","responses":[{"status":500},{"status":200,"body":"{}","headers":{}}]}`
 * (consumed one per request; afterwards 200), `GET /__requests?path=/hooks/a` (the recorded
 * requests, oldest first), `POST /__reset`.
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    receiverPort: number;
  }
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

interface Scripted {
  status: number;
  /** Answer only after this long (a slow receiver). */
  delayMs?: number;
  body?: string;
  headers?: Record<string, string>;
}

const requests: ReceivedRequest[] = [];
const scripts = new Map<string, Scripted[]>();

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (data += chunk));
    req.on("end", () => resolve(data));
    req.on("error", reject);
  });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const body = await readBody(req);
  if (url.pathname === "/__reset") {
    requests.length = 0;
    scripts.clear();
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end("{}");
    return;
  }
  if (url.pathname === "/__script") {
    const { path, responses } = JSON.parse(body) as { path: string; responses: Scripted[] };
    scripts.set(path, [...(scripts.get(path) ?? []), ...responses]);
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end("{}");
    return;
  }
  if (url.pathname === "/__requests") {
    const path = url.searchParams.get("path");
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify(requests.filter((r) => path === null || r.path === path)));
    return;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers[name] = value;
  requests.push({ method: req.method ?? "", path: url.pathname, headers, body, at: Date.now() });
  const next = scripts.get(url.pathname)?.shift() ?? { status: 200, body: '{"id":"fake_1"}' };
  if (next.delayMs) await new Promise((resolve) => setTimeout(resolve, next.delayMs));
  res.writeHead(next.status, { "Content-Type": "application/json", ...next.headers });
  res.end(next.body ?? "{}");
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: `fake receiver crashed: ${String(error)}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  project.provide("receiverPort", (server.address() as AddressInfo).port);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
