import { OpenAPIHono, z } from "@hono/zod-openapi";
import { listOf, listQuery, Timestamp } from "../../contract/common";
import { AUDIT_BY_OBJECT_PREFIX, AUDIT_PREFIX } from "../audit";
import type { AppEnv } from "../context";
import { endpoint } from "../endpoint";
import { listFromKv } from "../kv-list";

const AuditedRequest = z
  .object({
    id: z.string().openapi({ example: "req_4f1c2a9e0b7d4c3a8e6f5b2d1c0a9e8f" }),
    object: z.literal("request"),
    created: Timestamp,
    key: z.string().openapi({
      description: "The key's id: `key_` and the first 12 hex digits of the key's SHA-256 (never the key).",
      example: "key_9764d1a16fda",
    }),
    key_role: z.string().openapi({ description: "`admin`, `api` or `read`." }),
    method: z.string(),
    path: z.string(),
    object_id: z
      .string()
      .nullable()
      .openapi({ description: "The object written (the answer's id, else the id in the path)." }),
    idempotency_key: z.string().nullable(),
    idempotent_replayed: z.boolean(),
    status: z.number().int(),
  })
  .openapi("AuditedRequest");

const RequestsQuery = listQuery().extend({
  object: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/)
    .optional()
    .openapi({ param: { name: "object", in: "query" }, description: "Only the writes to this object id." }),
});

/** `GET /v1/admin/requests`: the audit trail of writes (src/api/audit.ts), newest first. */
export function requestsAdminRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  endpoint(
    app,
    {
      method: "get",
      path: "/v1/admin/requests",
      operationId: "listAdminRequests",
      summary: "The audit trail: every write through the API and the admin routes (newest first)",
      description:
        "Each POST/PATCH/DELETE that presented a valid key, with its key's id, method, path, object, Idempotency-Key and status, refusals included. Kept 30 days; eventually consistent (KV, written after the response).",
      tag: "Admin",
      query: RequestsQuery,
      response: listOf(AuditedRequest, "AuditedRequestList"),
    },
    async (c, { query }) => {
      const prefix = query.object ? `${AUDIT_BY_OBJECT_PREFIX}${query.object}/` : AUDIT_PREFIX;
      return c.json(await listFromKv(c, prefix, query));
    },
  );
  return app;
}
