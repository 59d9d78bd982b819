import { OpenAPIHono, z } from "@hono/zod-openapi";
import { ListQuery, listOf, Timestamp } from "../../contract/common";
import { EmptyBody } from "../../contract/invoice";
import { EMAIL_LOG_PREFIX } from "../../notifications/email/log";
import {
  DEAD_LETTER_PREFIX,
  deadLetterView,
  replayDeadLetter,
  replayEndpointDeadLetters,
} from "../../queues/dead-letters";
import type { AppEnv } from "../context";
import { endpoint, send } from "../endpoint";
import { listFromKv } from "../kv-list";

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
    id: z.string().openapi({ example: "dl_9998234567890_4f1c2a9e0b7d4c3a8e6f5b2d1c0a9e8f" }),
    object: z.literal("dead_letter"),
    kind: z.enum(["event", "webhook", "email", "unknown"]),
    event: z.string().nullable(),
    event_type: z.string().nullable(),
    endpoint: z.string().nullable(),
    customer: z.string().nullable(),
    attempts: z.number().int(),
    created: Timestamp,
    replayed: Timestamp.nullable().openapi({ description: "When it was sent again (replay), or null." }),
  })
  .openapi("DeadLetter");

const DeadLetterIdParam = z.object({
  id: z
    .string()
    .openapi({ param: { name: "id", in: "path" }, example: "dl_9998234567890_4f1c2a9e0b7d4c3a8e6f5b2d1c0a9e8f" }),
});

const EndpointReplay = z
  .strictObject({
    endpoint: z
      .string()
      .regex(/^we_[0-9A-HJKMNP-TV-Z]{26}$/)
      .openapi({ example: "we_01KC0000000000000000000000" }),
  })
  .openapi("DeadLetterEndpointReplay");

const EndpointReplayResult = z
  .object({
    object: z.literal("dead_letter_replay"),
    endpoint: z.string(),
    replayed: z.array(z.string()).openapi({ description: "The dead letters sent again by this request." }),
  })
  .openapi("DeadLetterEndpointReplayResult");

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
    async (c, { query }) => c.json(await listFromKv(c, EMAIL_LOG_PREFIX, query)),
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
    async (c, { query }) => c.json(await listFromKv(c, DEAD_LETTER_PREFIX, query, { view: deadLetterView })),
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/admin/dead_letters/:id/replay",
      operationId: "replayAdminDeadLetter",
      summary: "Send a dead letter again, once",
      description:
        "Sends the message to the queue it died on (a webhook delivery, an email, or an event's fan-out). Idempotent: a dead letter is replayed once; later calls answer the same `replayed` time and send nothing. A webhook replays only to an enabled endpoint (409 `endpoint_not_enabled`).",
      tag: "Admin",
      params: DeadLetterIdParam,
      body: EmptyBody,
      response: DeadLetter,
      errors: [409],
    },
    async (c, { params }) => send(c, await replayDeadLetter(c.env, params.id, Date.now())),
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/admin/dead_letters/replay",
      operationId: "replayAdminDeadLettersOfEndpoint",
      summary: "Send every dead letter of one webhook endpoint again, once each",
      description: "Replays each webhook dead letter of `endpoint` not replayed yet; answers the ids it sent.",
      tag: "Admin",
      body: EndpointReplay,
      response: EndpointReplayResult,
      errors: [409],
    },
    async (c, { body }) => send(c, await replayEndpointDeadLetters(c.env, body.endpoint, Date.now())),
  );
  return app;
}
