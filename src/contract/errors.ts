/** The error envelope of docs/billing-rules.md, Conventions, and the plain outcome every actor returns over RPC. */
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

/** A failure meant for the client. Thrown inside the Worker; returned as data across RPC. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param?: string,
    readonly type: ErrorType = errorTypeFor(status),
  ) {
    super(message);
  }

  get body(): ErrorBody {
    return { type: this.type, code: this.code, message: this.message, ...(this.param ? { param: this.param } : {}) };
  }
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
  return { ok: false, status, error: new ApiError(status, code, message, param, type).body };
}

export function notFound<T = never>(what: string, id: string, param = "id"): Outcome<T> {
  return failure(404, `resource_missing`, `No such ${what}: '${id}'`, param);
}

/** Turns an outcome into its value or throws the ApiError it carries. */
export function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  const { error } = outcome;
  throw new ApiError(outcome.status, error.code, error.message, error.param, error.type);
}
