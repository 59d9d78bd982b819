import type { ErrorBody, ErrorType, Outcome } from "../contract/errors";
import { errorBody } from "../contract/errors";

/**
 * The one error class of the HTTP layer: a failure meant for the client, thrown inside the
 * Worker (routes, auth, body reading, KV listings) and turned into the error envelope by the
 * app's one `onError` (src/api/errors.ts). Across RPC a failure travels as data (`Outcome`).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param?: string,
    readonly type?: ErrorType,
  ) {
    super(message);
  }

  /** Response headers that belong with this answer (`Allow` on a 405, `Idempotent-Replayed`). */
  readonly headers: Record<string, string> = {};

  withHeaders(headers: Record<string, string>): this {
    Object.assign(this.headers, headers);
    return this;
  }

  get body(): ErrorBody {
    return errorBody(this.status, this.code, this.message, this.param, this.type);
  }
}

/** The failure an outcome carries, as the error to throw. */
export function apiErrorOf(outcome: Extract<Outcome<unknown>, { ok: false }>): ApiError {
  const { error } = outcome;
  return new ApiError(outcome.status, error.code, error.message, error.param, error.type);
}

/** Turns an outcome into its value or throws the ApiError it carries. */
export function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw apiErrorOf(outcome);
}
