/**
 * The served OpenAPI document against its committed copy and the typed client generated from
 * it (clients/), redocly's recommended rules, and the example program run over real HTTP.
 */
import { describe, expect, it } from "vitest";
import { DOCUMENT, documentText, generateTypes, TYPES } from "../../scripts/client.mjs";
import { api, serviceUrl } from "./client";
import { readAbsolute, readText, run, withTempDir } from "./shell.mjs";

const REGENERATE = "the committed client is stale: run `npm run client` and commit clients/";

describe("the OpenAPI document and the generated client", () => {
  it("is the document committed in clients/openapi.json (no drift)", async () => {
    const { status, json } = await api("GET", "/v1/openapi.json", { key: null });
    expect(status).toBe(200);
    expect(documentText(json) === readText(DOCUMENT), REGENERATE).toBe(true);
  });

  it("generates exactly the committed types (openapi-typescript)", async () => {
    const generated = await withTempDir((dir) => {
      generateTypes(DOCUMENT, `${dir}/billify.d.ts`);
      return readAbsolute(`${dir}/billify.d.ts`);
    });
    expect(generated === readText(TYPES), REGENERATE).toBe(true);
  });

  it("passes redocly lint with the recommended rules: no error, no warning", async () => {
    const { status, stdout } = await run("node_modules/.bin/redocly", ["lint", DOCUMENT, "--format=json"], {
      env: { REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
    });
    const report = JSON.parse(stdout) as {
      totals: Record<string, number>;
      problems: { ruleId: string; message: string }[];
    };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toEqual({ errors: 0, warnings: 0, ignored: 0 });
    expect(status).toBe(0);
  });

  it("runs the example program (plan, customer, subscription) through the typed client", async () => {
    const { status, stdout, stderr } = await run("node_modules/.bin/node", ["clients/example.ts"], {
      env: { BILLIFY_URL: serviceUrl() },
    });
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ status: "active", quantity: 2, latest_invoice: true });
  });
});
