import type { Context, MiddlewareHandler } from "hono";
import { invertedMs } from "../lib/kv-keys";
import type { AppEnv } from "./context";

/** One write through the API, as `GET /v1/admin/requests` lists it. */
export interface AuditRecord {
  id: string;
  object: "request";
  created: string;
  /** The id of the key that made it (`key_<12 hex of its SHA-256>`), never the key. */
  key: string;
  /** `admin`, `api` or `read`. */
  key_role: string;
  method: string;
  path: string;
  /** The object the request wrote (the answer's `id`, else the id in the path), or null. */
  object_id: string | null;
  idempotency_key: string | null;
  /** True when an Idempotency-Key replay answered (nothing was done again). */
  idempotent_replayed: boolean;
  status: number;
}

export const AUDIT_PREFIX = "audit/";
export const AUDIT_BY_OBJECT_PREFIX = "audit_by_object/";
/** Records expire from KV after 30 days. */
export const AUDIT_TTL_SECONDS = 30 * 86_400;
const WRITES = new Set(["POST", "PATCH", "PUT", "DELETE"]);
const OBJECT_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Records every authenticated write (POST, PATCH, DELETE), whatever its answer, after the
 * response is made: `waitUntil` puts it in KV (with a 30-day expiry) under a newest-first key,
 * and once more under its object for the filtered list. No Durable Object is called and the
 * client never waits for it. Requests refused before a key matched (401) are not recorded, so
 * a flood without a key costs no write.
 */
export const auditWrites: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  const keyId = c.get("keyId");
  if (!WRITES.has(c.req.method) || keyId === undefined) return;
  const nowMs = Date.now();
  const response = c.res.clone();
  c.executionCtx.waitUntil(recordWrite(c, keyId, response, nowMs));
};

async function recordWrite(c: Context<AppEnv>, keyId: string, response: Response, nowMs: number): Promise<void> {
  try {
    const record: AuditRecord = {
      id: `req_${crypto.randomUUID().replaceAll("-", "")}`,
      object: "request",
      created: new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, "Z"),
      key: keyId,
      key_role: c.get("scope") ?? "unknown",
      method: c.req.method,
      path: c.req.path,
      object_id: (await answeredId(response)) ?? idInPath(c.req.path),
      idempotency_key: c.req.header("Idempotency-Key") ?? null,
      idempotent_replayed: response.headers.get("Idempotent-Replayed") === "true",
      status: response.status,
    };
    const value = JSON.stringify(record);
    const at = `${invertedMs(nowMs)}/${record.id}`;
    const options = { expirationTtl: AUDIT_TTL_SECONDS };
    await Promise.all([
      c.env.BILLIFY_KV.put(`${AUDIT_PREFIX}${at}`, value, options),
      record.object_id
        ? c.env.BILLIFY_KV.put(`${AUDIT_BY_OBJECT_PREFIX}${record.object_id}/${at}`, value, options)
        : null,
    ]);
  } catch (error) {
    // The write itself succeeded or failed on its own; a lost audit record is logged, never the client's problem.
    console.error("audit record not written", error);
  }
}

/** The `id` of a successful answer's object (`{"id":"cus_…","object":"customer",…}`). */
async function answeredId(response: Response): Promise<string | null> {
  if (response.status >= 300 || !(response.headers.get("Content-Type") ?? "").includes("json")) return null;
  try {
    const body = (await response.json()) as { id?: unknown; object?: unknown };
    return typeof body.id === "string" && OBJECT_ID.test(body.id) ? body.id : null;
  } catch {
    return null;
  }
}

/** `/v1/<collection>/<id>/…` → id; `/v1/admin/<collection>/<id>/…` → id. */
function idInPath(path: string): string | null {
  const segments = path.split("/").slice(2);
  const id = segments[0] === "admin" ? segments[2] : segments[1];
  return id && OBJECT_ID.test(id) && id !== "replay" ? id : null;
}
