import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/actors/config";
import { newNonce, pagePolicy, shell } from "../../src/pages/shell";

// The seller's name, logo and accent colour come from configuration; the page frame escapes
// them and its policy allows exactly the logo's origin besides its own.

const env = (vars: Record<string, string>) =>
  ({ BILLIFY_MODE: "test", ...vars }) as unknown as Parameters<typeof loadConfig>[0];

describe("the seller on the customer's pages", () => {
  it("reads name, logo and accent colour from the environment, with defaults", () => {
    expect(loadConfig(env({})).seller).toEqual({ name: "Billify", logoUrl: null, accentColor: "#4f46e5" });
    expect(loadConfig(env({})).publicUrl).toBe("http://localhost:8787");
    const config = loadConfig(
      env({
        BILLIFY_SELLER_NAME: "Acme <Cloud>",
        BILLIFY_SELLER_LOGO_URL: "https://cdn.example.com/logo.png",
        BILLIFY_ACCENT_COLOR: "#0a7d3b",
        BILLIFY_PUBLIC_URL: "https://billing.example.com/",
      }),
    );
    expect(config.seller).toEqual({
      name: "Acme <Cloud>",
      logoUrl: "https://cdn.example.com/logo.png",
      accentColor: "#0a7d3b",
    });
    expect(config.publicUrl).toBe("https://billing.example.com");
  });

  it("refuses a colour that is not #rrggbb, a logo or public URL that is not http(s), and a bad portal TTL", () => {
    expect(() => loadConfig(env({ BILLIFY_ACCENT_COLOR: "red;}" }))).toThrow(/BILLIFY_ACCENT_COLOR/);
    expect(() => loadConfig(env({ BILLIFY_SELLER_LOGO_URL: "javascript:alert(1)" }))).toThrow(
      /BILLIFY_SELLER_LOGO_URL/,
    );
    expect(() => loadConfig(env({ BILLIFY_PUBLIC_URL: "ftp://x" }))).toThrow(/BILLIFY_PUBLIC_URL/);
    expect(() => loadConfig(env({ BILLIFY_PORTAL_TTL_SECONDS: "10" }))).toThrow(/BILLIFY_PORTAL_TTL_SECONDS/);
  });

  it("renders them escaped, and the policy allows the logo's origin and nothing else", async () => {
    const seller = { name: "Acme <Cloud>", logoUrl: "https://cdn.example.com/logo.png", accentColor: "#0a7d3b" };
    const nonce = newNonce();
    const page = String(await shell("Invoice", seller, nonce, "body" as never));
    expect(page).toContain("Acme &lt;Cloud&gt;");
    expect(page).toContain('<img src="https://cdn.example.com/logo.png"');
    expect(page).toContain("--accent: #0a7d3b");
    expect(page).toContain(`<style nonce="${nonce}">`);
    expect(pagePolicy(nonce, seller)).toBe(
      `default-src 'none'; style-src 'nonce-${nonce}'; img-src 'self' data: https://cdn.example.com; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
    );
  });
});
