import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../lib/errors";
import { auditWrites } from "./audit";
import { requireApiKey } from "./auth";
import type { AppEnv } from "./context";
import { errorResponse } from "./errors";
import { registerErrorSchemas } from "./openapi-errors";
import { rateLimit } from "./rate-limit";
import { adminRoutes } from "./routes/admin";
import { billingPortalRoutes } from "./routes/billing-portal";
import { couponRoutes } from "./routes/coupons";
import { customerRoutes } from "./routes/customers";
import { hostedPageRoutes } from "./routes/hosted-pages";
import { invoiceRoutes } from "./routes/invoices";
import { meterRoutes } from "./routes/meters";
import { notificationAdminRoutes } from "./routes/notifications-admin";
import { planRoutes } from "./routes/plans";
import { portalPageRoutes } from "./routes/portal-pages";
import { requestsAdminRoutes } from "./routes/requests-admin";
import { stripeWebhookRoutes } from "./routes/stripe-webhook";
import { subscriptionRoutes } from "./routes/subscriptions";
import { taxRateRoutes } from "./routes/tax-rates";
import { testClockRoutes } from "./routes/test-clocks";
import { webhookEndpointRoutes } from "./routes/webhook-endpoints";
import { validationError } from "./validation";

const MAX_BODY_BYTES = 64 * 1024;
const JSON_MEDIA_TYPE = /^\s*application\/([\w.-]+\+)?json\s*(;|$)/i;

/**
 * The routing Worker: authenticates, validates (zod), and forwards each request to the actor
 * that owns the object. It holds no billing logic and no state of its own.
 */
export function createApp(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationError });
  // Every endpoint's `security: [{ bearerAuth: [] }]` names this scheme; OpenAPI requires it declared.
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description:
      "An API key (BILLIFY_API_KEY/_KEYS), an admin key (BILLIFY_ADMIN_KEY/_KEYS, which also opens /v1/admin/*), or a read-only key (BILLIFY_READ_KEYS: GET only).",
  });

  app.onError((error, c) => errorResponse(c, error));
  app.notFound((c) => notFoundOrWrongMethod(c, app));

  // /docs itself is a static asset (public/docs/index.html, wrangler.jsonc "assets"): it never reaches the Worker.
  app.get("/", (c) => c.redirect("/docs"));
  app.get("/v1/openapi.json", (c) => c.json(openApiDocument(app)));
  // The customer's pages: opened by their own tokens, never by an API key.
  app.route("/", hostedPageRoutes());
  app.route("/", portalPageRoutes());

  // Outermost of the /v1 middleware: it sees the final status of every write, refusals included.
  app.use("/v1/*", auditWrites);
  app.use("/v1/*", requireApiKey);
  app.use("/v1/*", rateLimit);
  app.use(
    "/v1/*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError(413, "body_too_large", `Request bodies are limited to ${MAX_BODY_BYTES} bytes (64 KiB).`);
      },
    }),
  );
  app.use("/v1/*", readJsonBody);

  // Each resource is its own sub-app; `route` merges its routes and its OpenAPI entries.
  app.route("/", adminRoutes());
  app.route("/", planRoutes());
  app.route("/", meterRoutes());
  app.route("/", customerRoutes());
  app.route("/", billingPortalRoutes());
  app.route("/", subscriptionRoutes());
  app.route("/", invoiceRoutes());
  app.route("/", testClockRoutes());
  app.route("/", stripeWebhookRoutes());
  app.route("/", webhookEndpointRoutes());
  app.route("/", notificationAdminRoutes());
  app.route("/", couponRoutes());
  app.route("/", taxRateRoutes());
  app.route("/", requestsAdminRoutes());
  registerErrorSchemas(app.openAPIRegistry);
  return app;
}

/**
 * Reads a POST/PATCH body once, before validation: empty (what curl sends for `-XPOST` with
 * no `-d`, with or without a Content-Type) means `{}`; another content type is 415;
 * malformed JSON, or JSON that is not an object (`[]`, `"x"`, `3`), is a 400 here, not a
 * 500. The parsed value is `rawBody` (validated by each endpoint, fingerprinted for
 * idempotency); Hono keeps the text cached for routes that need the exact bytes (Stripe).
 */
async function readJsonBody(c: Context<AppEnv>, next: () => Promise<void>) {
  if (c.req.method !== "POST" && c.req.method !== "PATCH") return next();
  const text = await utf8Body(c);
  if (text.trim() === "") {
    c.set("rawBody", {});
    return next();
  }
  if (!JSON_MEDIA_TYPE.test(c.req.header("Content-Type") ?? "")) {
    throw new ApiError(415, "unsupported_media_type", "Send JSON with 'Content-Type: application/json'.");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError(400, "invalid_json", "The request body is not valid JSON.");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    const got = parsed === null ? "null" : Array.isArray(parsed) ? "an array" : `a ${typeof parsed}`;
    throw new ApiError(400, "invalid_body", `The request body must be a JSON object, like {"name":"Pro"}; got ${got}.`);
  }
  c.set("rawBody", parsed);
  return next();
}

/**
 * The body as text, refusing bytes that are not UTF-8 (400): decoding them leniently would
 * store U+FFFD in place of what the client sent. The text is cached for the validators.
 */
async function utf8Body(c: Context<AppEnv>): Promise<string> {
  const bytes = await c.req.arrayBuffer();
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ApiError(400, "invalid_encoding", "The request body is not valid UTF-8.");
  }
  const cache = (c.req as unknown as { bodyCache: { text?: Promise<string> } }).bodyCache;
  cache.text = Promise.resolve(text);
  return text;
}

const API_DESCRIPTION = `Subscription billing on Cloudflare: plans, customers, subscriptions, invoices with proration, payments with retries.

**Authentication.** Send \`Authorization: Bearer <key>\`. \`BILLIFY_API_KEY\` opens every route except \`/v1/admin/*\`; \`BILLIFY_ADMIN_KEY\` opens everything; a read-only key (\`BILLIFY_READ_KEYS\`) opens every GET and no write (403). Several keys per role may be configured at once (\`BILLIFY_API_KEYS\`, \`BILLIFY_ADMIN_KEYS\`), which is how keys rotate without downtime. Under \`npm start\` the keys are **\`sk_test_local\`** (API) and **\`sk_admin_local\`** (admin).

**Conventions.** JSON in and out. Amounts are integers in the currency's minor unit; times are ISO 8601 UTC. Every POST takes an \`Idempotency-Key\`. Lists take \`limit\` (1–100, default 10) and \`cursor\` (a \`next_cursor\`). Errors are \`{"error":{"type","code","message","param"}}\`; each operation lists the statuses and codes it can answer.`;

let cachedDocument: unknown = null;

function openApiDocument(app: OpenAPIHono<AppEnv>) {
  cachedDocument ??= app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Billify API",
      version: "1.0.0",
      license: { name: "MIT", url: "https://opensource.org/licenses/MIT" },
      description: API_DESCRIPTION,
    },
    servers: [{ url: "/" }],
  });
  return cachedDocument as ReturnType<typeof app.getOpenAPI31Document>;
}

function notFoundOrWrongMethod(c: Context<AppEnv>, app: OpenAPIHono<AppEnv>): Response {
  const path = c.req.path;
  const allowed = new Set<string>();
  for (const route of app.routes) {
    if (route.method === "ALL" || route.path.endsWith("*")) continue;
    const pattern = new RegExp(`^${route.path.replace(/:\w+/g, "[^/]+")}$`);
    if (pattern.test(path)) allowed.add(route.method);
  }
  if (allowed.size > 0) {
    const methods = [...allowed].sort().join(", ");
    const message = `${c.req.method} is not allowed on ${path}; use ${methods}.`;
    return errorResponse(c, new ApiError(405, "method_not_allowed", message).withHeaders({ Allow: methods }));
  }
  return errorResponse(c, new ApiError(404, "route_not_found", `No route ${c.req.method} ${path}.`));
}
