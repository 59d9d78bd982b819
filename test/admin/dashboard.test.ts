import { describe, expect, it } from "vitest";
import { ADMIN_KEY, api } from "../helpers";

describe("GET /admin", () => {
  it("serves the dashboard page without a key, asking for the admin key and embedding none", async () => {
    const res = await api("GET", "/admin", undefined, { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    const html = res.body as string;
    expect(html).toContain('<input id="admin-key" name="key" type="password"');
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('data-mode="test"');
    expect(html).not.toContain(ADMIN_KEY);
    expect(html).not.toContain("sk_test_local");
    // The script is the static asset public/admin/dashboard.js; the page hands it the currency table's exponents.
    expect(html).toContain('<script type="module" src="/admin/dashboard.js"></script>');
    const exponents = /<script type="application\/json" id="currency-exponents">(.*?)<\/script>/.exec(html)?.[1];
    expect(JSON.parse(exponents ?? "null")).toMatchObject({ usd: 2, jpy: 0, kwd: 3, clf: 4 });
  });
});
