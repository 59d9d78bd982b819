import { errorTypeFor } from "../contract/errors";

/**
 * The error responses the OpenAPI document lists, with the codes each status can carry.
 * `code` is a closed list per status so a generated client can switch on it; a new code
 * belongs here in the same change that starts returning it.
 */
export const ERROR_CODES: Record<number, { description: string; codes: string[] }> = {
  400: {
    description: "Invalid request: `param` names the field",
    codes: [
      "parameter_missing",
      "parameter_invalid",
      "parameter_unknown",
      "parameter_conflict",
      "invalid_json",
      "invalid_body",
      "invalid_encoding",
      "idempotency_key_invalid",
      "resource_missing",
      "plan_inactive",
      "plan_terms_immutable",
      "currency_mismatch",
      "invalid_status",
      "invoice_not_open",
      "invoice_not_draft",
      "nothing_to_invoice",
      "subscription_ended",
      "amount_too_large",
      "test_clocks_unavailable",
      "signature_invalid",
      "coupon_invalid",
      "promotion_code_invalid",
      "coupon_terms_immutable",
      "promotion_code_terms_immutable",
      "tax_rate_terms_immutable",
      "tax_rate_inactive",
      "url_not_allowed",
      "meter_terms_immutable",
      "timestamp_too_old",
      "timestamp_in_future",
    ],
  },
  401: { description: "Missing or wrong API key", codes: ["missing_api_key", "invalid_api_key"] },
  403: {
    description: "The route needs an admin key, or the key is read-only and the request writes",
    codes: ["admin_key_required", "read_only_key"],
  },
  404: { description: "No such object (or route)", codes: ["resource_missing", "route_not_found"] },
  409: {
    description: "Conflict with the object's current state, or a request with this Idempotency-Key still running",
    codes: [
      "resource_already_exists",
      "idempotency_request_in_progress",
      "clock_advancing",
      "payment_pending",
      "redemption_expired",
      "endpoint_not_enabled",
      "dead_letter_not_replayable",
    ],
  },
  413: { description: "Body over 64 KiB", codes: ["body_too_large"] },
  415: { description: "Body is not JSON", codes: ["unsupported_media_type"] },
  422: { description: "Idempotency-Key reused with a different request", codes: ["idempotency_key_reused"] },
  429: {
    description: "Too many requests with this key: wait the seconds of `Retry-After`",
    codes: ["rate_limited"],
  },
  500: {
    description: "Internal or configuration error (logged; no detail is returned)",
    codes: ["internal_error", "configuration_error"],
  },
};

interface Shape {
  body: boolean;
  query: boolean;
  params: boolean;
  idempotent: boolean;
  /** POST, PATCH or DELETE. */
  writes: boolean;
  extra: number[];
}

/** The error statuses an operation of this shape can answer, each with its envelope and codes. */
export function errorResponses(shape: Shape) {
  const statuses = new Set<number>([401, 429, 500, ...shape.extra]);
  if (shape.body || shape.query || shape.params) statuses.add(400);
  if (shape.params) statuses.add(404);
  if (shape.body) for (const status of [413, 415]) statuses.add(status);
  if (shape.idempotent) for (const status of [409, 422]) statuses.add(status);
  // A read-only key (BILLIFY_READ_KEYS) is refused every write.
  if (shape.writes) statuses.add(403);
  return Object.fromEntries([...statuses].sort().map((status) => [String(status), errorResponse(status)]));
}

/** Statuses some operation references, so only those become components (no unused component in the document). */
const referenced = new Set<number>();

/** An error response of the document: `$ref` to the `Error<status>` component. */
export function errorResponse(status: number) {
  const entry = ERROR_CODES[status] ?? { description: "Error", codes: [] };
  referenced.add(status);
  return {
    description: `${entry.description}. Codes: ${entry.codes.map((c) => `\`${c}\``).join(", ")}.`,
    content: { "application/json": { schema: { $ref: `#/components/schemas/Error${status}` } } },
  };
}

/** Registers `Error<status>` for every status an operation referenced: the envelope with its type and codes. */
export function registerErrorSchemas(registry: {
  registerComponent(type: "schemas", name: string, component: object): unknown;
}): void {
  for (const status of [...referenced].sort()) {
    const entry = ERROR_CODES[status] ?? { description: "Error", codes: [] };
    const type = status === 422 ? "idempotency_error" : errorTypeFor(status);
    registry.registerComponent("schemas", `Error${status}`, {
      type: "object",
      description: `The error envelope of a ${status}.`,
      required: ["error"],
      properties: {
        error: {
          type: "object",
          required: ["type", "code", "message"],
          properties: {
            type: { type: "string", enum: [type] },
            code: { type: "string", enum: entry.codes },
            message: { type: "string", description: "For people; may change." },
            param: { type: "string", description: "The offending field (dotted path), when there is one." },
          },
        },
      },
      example: { error: { type, code: entry.codes[0] ?? "error", message: entry.description } },
    });
  }
}
