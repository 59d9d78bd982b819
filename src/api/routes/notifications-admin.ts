import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ListPage } from "../../contract/common";
import { ListQuery, listOf, Timestamp } from "../../contract/common";
import { ApiError } from "../../lib/errors";
import { EMAIL_LOG_PREFIX } from "../../notifications/email/log";
import { DEAD_LETTER_PREFIX } from "../../queues/dead-letters";
import type { AppEnv } from "../context";
import { endpoint } from "../endpoint";

const Email = z
  .object({
    object: z.literal("email"),
    to: z.string(),
    subject: z.string(),
    text: z.string(),
    html: z.string(),
    event: z.string(),
    event_type: z.string(),
    customer: z.string(),
    provider: z.string(),
    status: z.enum(["sent", "failed"]),
    error: z.string().nullable(),
    created: Timestamp,
  })
  .openapi("Email");

const DeadLetter = z
  .object({
    object: z.literal("dead_letter"),
    kind: z.enum(["event", "webhook", "email", "unknown"]),
    event: z.string().nullable(),
    event_type: z.string().nullable(),
    endpoint: z.string().nullable(),
    customer: z.string().nullable(),
    attempts: z.number().int(),
    created: Timestamp,
  })
  .openapi("DeadLetter");

/** A newest-first page of JSON values kept under `prefix` in KV (inverted-time keys). */
async function kvPage<T>(
  c: Context<AppEnv>,
  prefix: string,
  limit: number,
  cursor: string | undefined,
): Promise<ListPage<T>> {
  let listed: KVNamespaceListResult<unknown, string>;
  try {
    listed = await c.env.BILLIFY_KV.list({ prefix, limit, cursor });
  } catch (error) {
    if (cursor === undefined) throw error;
    throw new ApiError(400, "parameter_invalid", "Invalid cursor: pass a next_cursor from a previous page.", "cursor");
  }
  const values = await Promise.all(listed.keys.map((k) => c.env.BILLIFY_KV.get<T>(k.name, "json")));
  return {
    object: "list",
    data: values.filter((v): v is Awaited<T> & T => v !== null),
    has_more: !listed.list_complete,
    next_cursor: listed.list_complete ? null : listed.cursor,
  };
}

export function notificationAdminRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  endpoint(
    app,
    {
      method: "get",
      path: "/v1/admin/emails",
      operationId: "listAdminEmails",
      summary: "The emails the service sent (newest first)",
      description:
        "Every provider's emails are kept; with the `log` provider (the local default) this is the only place they go. Emails whose retries ran out show status `failed`. Eventually consistent (KV).",
      tag: "Admin",
      query: ListQuery,
      response: listOf(Email, "EmailList"),
    },
    async (c, { query }) => c.json(await kvPage(c, EMAIL_LOG_PREFIX, query.limit, query.cursor)),
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/admin/dead_letters",
      operationId: "listAdminDeadLetters",
      summary: "Queue messages whose retries ran out (newest first)",
      tag: "Admin",
      query: ListQuery,
      response: listOf(DeadLetter, "DeadLetterList"),
    },
    async (c, { query }) => c.json(await kvPage(c, DEAD_LETTER_PREFIX, query.limit, query.cursor)),
  );
  return app;
}
