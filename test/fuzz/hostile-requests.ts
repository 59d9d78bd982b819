import { exports } from "cloudflare:workers";
import fc from "fast-check";
import { expect } from "vitest";
import { API_KEY } from "../helpers";

/** One route of the OpenAPI document: method, path template, the body's field names. */
interface Route {
  method: string;
  path: string;
  fields: string[];
}

/** Every route the service documents (the same document that validates requests). */
export async function documentedRoutes(): Promise<Route[]> {
  const response = await exports.default.fetch(new Request("http://billify.test/v1/openapi.json"));
  const document = (await response.json()) as { paths: Record<string, Record<string, any>> };
  const routes: Route[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const schema = operation?.requestBody?.content?.["application/json"]?.schema;
      const resolved = schema?.$ref ? (document as any).components.schemas[schema.$ref.split("/").pop()] : schema;
      routes.push({ method: method.toUpperCase(), path, fields: Object.keys(resolved?.properties ?? {}) });
    }
  }
  return routes;
}

const ULID_CHARS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const ulidBody = fc.string({ unit: fc.constantFrom(...ULID_CHARS), minLength: 26, maxLength: 26 });
const prefix = fc.constantFrom("plan", "cus", "sub", "in", "pay", "clock", "we", "evt", "il");

/** Path parameter values: well-formed unknown ids, near misses, and junk. */
const pathValue = fc.oneof(
  fc.tuple(prefix, ulidBody).map(([p, u]) => `${p}_${u}`),
  fc.tuple(prefix, fc.string({ maxLength: 30 })).map(([p, s]) => encodeURIComponent(`${p}_${s}`)),
  fc.string({ maxLength: 80 }).map(encodeURIComponent),
  fc.constantFrom("%", "%ZZ", "%00", "..", "%2e%2e", "a".repeat(2_000), "pro-monthly", "-", "_"),
);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    -1,
    0,
    1e308,
    -0,
    2 ** 53 + 1,
    "",
    " ",
    "\u0000",
    "2026-02-30T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "pm_card_visa",
    "usd",
    "USD",
    [],
    {},
    null,
    true,
  ),
  fc.string({ maxLength: 300 }),
  fc.integer(),
  fc.double(),
);

/** Bodies: objects of the route's own fields with hostile values, other JSON, and raw bytes. */
function bodyFor(
  route: Route,
): fc.Arbitrary<{ bytes: Uint8Array | string | undefined; contentType: string | undefined }> {
  const fieldsBody = route.fields.length
    ? fc
        .dictionary(fc.oneof(fc.constantFrom(...route.fields), fc.string({ maxLength: 12 })), hostileValue, {
          maxKeys: 6,
        })
        .map((o) => JSON.stringify(o))
    : fc.constant("{}");
  const text = fc.oneof(
    fieldsBody,
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 200 }),
    fc.constantFrom("", "{", "{}", "[]", "null", '{"__proto__":{"x":1}}', '{"metadata":{"constructor":"x"}}'),
  );
  const bytes = fc.uint8Array({ maxLength: 64 });
  const contentType = fc.option(
    fc.constantFrom(
      "application/json",
      "application/json; charset=utf-8",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/vnd.api+json",
      "*/*",
    ),
    { nil: undefined },
  );
  return fc.record({
    bytes: fc.option(fc.oneof({ weight: 4, arbitrary: text }, { weight: 1, arbitrary: bytes }), { nil: undefined }),
    contentType,
  });
}

const query = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom("limit", "cursor", "email", "status", "plan", "customer"), fc.string({ maxLength: 8 })),
      fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom("0", "-1", "101", "1e3", "NaN", "10", "%", "%ZZ")),
    ),
    { maxLength: 3 },
  )
  .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&"));

const headerText = fc.string({
  unit: fc.constantFrom(..." !#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
  maxLength: 300,
});

const auth = fc.oneof(
  { weight: 8, arbitrary: fc.constant(`Bearer ${API_KEY}`) },
  { weight: 1, arbitrary: fc.constantFrom("", "Bearer", "Bearer  ", `bearer ${API_KEY}`, `Basic ${API_KEY}`) },
  { weight: 1, arbitrary: headerText.map((t) => `Bearer ${t}`) },
);

/**
 * Sends `numRuns` hostile requests spread over every documented route: hostile path ids,
 * bodies (the route's own fields with wrong values, other JSON, invalid UTF-8 bytes),
 * queries and headers. Each answer is below 500 and, when an error, in the envelope.
 */
export async function sendHostileRequests(numRuns: number, seed?: number): Promise<Map<number, number>> {
  const routes = await documentedRoutes();
  expect(routes.length).toBeGreaterThan(20);
  const statuses = new Map<number, number>();
  const request = fc.constantFrom(...routes).chain((route) =>
    fc.record({
      route: fc.constant(route),
      params: fc.array(pathValue, { minLength: 4, maxLength: 4 }),
      body: bodyFor(route),
      query,
      auth,
      key: fc.option(headerText, { nil: undefined }),
    }),
  );
  await fc.assert(
    fc.asyncProperty(request, async ({ route, params, body, query: q, auth: authorization, key }) => {
      let i = 0;
      const path = route.path.replace(/\{[^}]+\}/g, () => params[i++]!);
      const headers: Record<string, string> = { Authorization: authorization };
      if (body.contentType) headers["Content-Type"] = body.contentType;
      if (key !== undefined && route.method === "POST") headers["Idempotency-Key"] = key;
      const hasBody = route.method !== "GET" && route.method !== "DELETE" && body.bytes !== undefined;
      const response = await exports.default.fetch(
        new Request(`http://billify.test${path}${q ? `?${q}` : ""}`, {
          method: route.method,
          headers,
          body: hasBody ? body.bytes : undefined,
        }),
      );
      const text = await response.text();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      expect(response.status, `${route.method} ${path}?${q} → ${text}`).toBeLessThan(500);
      if (response.status >= 400) {
        const parsed = JSON.parse(text) as { error: { type: string; code: string; message: string } };
        expect(Object.keys(parsed)).toEqual(["error"]);
        expect(typeof parsed.error.type).toBe("string");
        expect(typeof parsed.error.code).toBe("string");
        expect(text).not.toMatch(/\n\s+at /); // no stack trace
      }
    }),
    { numRuns, ...(seed === undefined ? {} : { seed }) },
  );
  return statuses;
}
