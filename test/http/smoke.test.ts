import { describe, expect, it } from "vitest";
import { api } from "./client";

describe("the service over real HTTP", () => {
  it("serves the OpenAPI document without a key", async () => {
    const { status, headers, json } = await api("GET", "/v1/openapi.json", { key: null });
    expect(status).toBe(200);
    expect(headers.get("content-type")).toMatch(/^application\/json/);
    expect(json.openapi).toMatch(/^3\./);
  });

  it("answers an unauthenticated list with 401 in the error envelope", async () => {
    const { status, json } = await api("GET", "/v1/plans", { key: null });
    expect(status).toBe(401);
    expect(json.error.type).toBe("authentication_error");
  });

  it("lists plans with the local key", async () => {
    const { status, json } = await api("GET", "/v1/plans");
    expect(status).toBe(200);
    expect(json.object).toBe("list");
  });
});
