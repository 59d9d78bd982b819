/** The docs page: Scalar, served by Workers static assets (so only real HTTP sees it), offline. */
import { describe, expect, it } from "vitest";
import { serviceUrl } from "./client";
import { curl, readText } from "./shell.mjs";

describe("GET /docs", () => {
  it("serves the Scalar page without a key, reading /v1/openapi.json with the local key filled in", async () => {
    const res = await curl([`${serviceUrl()}/docs`]);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.text).toBe(readText("public/docs/index.html"));
    expect(res.text).toContain('url: "/v1/openapi.json"');
    expect(res.text).toContain('token: "sk_test_local"');
    // Nothing from another origin: the page works offline.
    expect(res.text).not.toMatch(/(src|href)="https?:/);
  });

  it("serves Scalar's bundle from the Worker itself", async () => {
    const res = await curl(["-o", "/dev/null", `${serviceUrl()}/docs/scalar.js`]);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/javascript/);
    expect(Number(res.headers["content-length"] ?? "0")).toBeGreaterThan(1_000_000);
  });

  it("redirects / to /docs, and /docs/ to /docs", async () => {
    const root = await curl([`${serviceUrl()}/`]);
    expect(root.status).toBe(302);
    expect(root.headers.location).toBe("/docs");
    const slash = await curl([`${serviceUrl()}/docs/`]);
    expect(slash.status).toBe(307);
    expect(slash.headers.location).toBe("/docs");
  });
});
