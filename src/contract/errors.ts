import type { DomainError } from "../domain/subscription";

/**
 * The error envelope of docs/billing-rules.md, Conventions, and the plain outcome every actor
 * returns over RPC (the HTTP layer's one error class, `ApiError`, is in src/lib/errors.ts).
 */
export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found"
  | "conflict"
  | "idempotency_error"
  | "rate_limit_error"
  | "api_error";

export interface ErrorBody {
  type: ErrorType;
  code: string;
  message: string;
  param?: string;
}

export type Outcome<T> = { ok: true; status: number; value: T } | { ok: false; status: number; error: ErrorBody };

const TYPE_BY_STATUS: Record<number, ErrorType> = {
  401: "authentication_error",
  403: "permission_error",
  404: "not_found",
  409: "conflict",
  429: "rate_limit_error",
  500: "api_error",
};

export function errorTypeFor(status: number): ErrorType {
  return TYPE_BY_STATUS[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
}

/** The envelope's body of one failure (`param` only when there is one). */
export function errorBody(status: number, code: string, message: string, param?: string, type?: ErrorType): ErrorBody {
  return { type: type ?? errorTypeFor(status), code, message, ...(param ? { param } : {}) };
}

export function ok<T>(value: T, status = 200): Outcome<T> {
  return { ok: true, status, value };
}

export function failure<T = never>(
  status: number,
  code: string,
  message: string,
  param?: string,
  type?: ErrorType,
): Outcome<T> {
  return { ok: false, status, error: errorBody(status, code, message, param, type) };
}

export function notFound<T = never>(what: string, id: string, param = "id"): Outcome<T> {
  return failure(404, `resource_missing`, `No such ${what}: '${id}'`, param);
}

/** The domain's refusal as an outcome: 409 when it conflicts with the state right now, else 400. */
export function refused<T = never>(error: DomainError): Outcome<T> {
  return failure(error.conflict ? 409 : 400, error.code, error.message, error.param);
}
