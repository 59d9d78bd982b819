import { expect } from "vitest";
import type { ApiResponse } from "../helpers";

export interface ErrorBody {
  type: string;
  code: string;
  message: string;
  param?: string;
}

/**
 * Asserts the exact error envelope of docs/billing-rules.md, Conventions: the status, `type`, and `param` (exactly:
 * absent when `param` is undefined), with a non-empty `code` and `message` and nothing else.
 */
export function expectError(res: ApiResponse, status: number, type: string, param?: string, code?: string): ErrorBody {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get("Content-Type") ?? "").toMatch(/^application\/json/);
  const body: unknown = res.body;
  expect(body).toBeTypeOf("object");
  expect(Object.keys(body as object)).toEqual(["error"]);
  const error = (body as { error: ErrorBody }).error;
  expect(error.type).toBe(type);
  expect(error.code).toBeTypeOf("string");
  expect(error.code.length).toBeGreaterThan(0);
  expect(error.message).toBeTypeOf("string");
  expect(error.message.length).toBeGreaterThan(0);
  if (param === undefined) {
    expect(error).not.toHaveProperty("param");
    expect(Object.keys(error).sort()).toEqual(["code", "message", "type"]);
  } else {
    expect(error.param).toBe(param);
    expect(Object.keys(error).sort()).toEqual(["code", "message", "param", "type"]);
  }
  if (code !== undefined) expect(error.code).toBe(code);
  return error;
}

/** `<prefix>_` followed by a 26-character Crockford ULID. */
export function ulidId(prefix: string): RegExp {
  return new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$`);
}

/** ISO 8601 UTC with second precision. */
export const ISO_SECOND = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

export const ABSENT = {
  plan: "plan_01ARZ3NDEKTSV4RRFFQ69G5FAV",
  customer: "cus_01ARZ3NDEKTSV4RRFFQ69G5FAV",
  subscription: "sub_01ARZ3NDEKTSV4RRFFQ69G5FAV",
  invoice: "in_01ARZ3NDEKTSV4RRFFQ69G5FAV",
  clock: "clock_01ARZ3NDEKTSV4RRFFQ69G5FAV",
} as const;
