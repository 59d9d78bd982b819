/**
 * The OpenAPI document promises, per status, a closed list of error codes
 * (src/api/openapi-errors.ts). This reads the source (Node, not workerd) and checks that every
 * code the code base can answer is in that list, so a new code cannot ship undocumented.
 */
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../src/api/openapi-errors";
import { listFiles, readText } from "./shell.mjs";

/** `new ApiError(409, "x"`, `failure(400, "x"`, and the domain's refusals (`refuse("x"`, `fail("x"`), answered as 400. */
function codesInSource(): { status: number; code: string; file: string }[] {
  const found: { status: number; code: string; file: string }[] = [];
  for (const file of listFiles("src", ".ts")) {
    const text = readText(file);
    for (const m of text.matchAll(/\b(?:ApiError|failure)(?:<[^>]*>)?\(\s*(\d{3}),\s*["'`]([a-z_]+)["'`]/g)) {
      found.push({ status: Number(m[1]), code: m[2]!, file });
    }
    for (const m of text.matchAll(/\b(?:refuse|fail)\(\s*"([a-z_]+)"/g)) found.push({ status: 400, code: m[1]!, file });
  }
  return found;
}

describe("error codes", () => {
  it("finds the codes the source answers with", () => {
    const codes = codesInSource().map((c) => `${c.status} ${c.code}`);
    for (const known of [
      "400 parameter_invalid",
      "400 nothing_to_invoice",
      "401 missing_api_key",
      "409 resource_already_exists",
      "422 idempotency_key_reused",
    ]) {
      expect(codes).toContain(known);
    }
  });

  it("documents every one of them under its status in the OpenAPI error responses", () => {
    const undocumented = codesInSource()
      // 405 belongs to no operation: it is the router's answer for a method a path does not have.
      .filter(({ status }) => status !== 405)
      .filter(({ status, code }) => !ERROR_CODES[status]?.codes.includes(code))
      .map(({ status, code, file }) => `${status} ${code} (${file})`);
    expect(undocumented, "add these to ERROR_CODES in src/api/openapi-errors.ts").toEqual([]);
  });
});
