import { describe, expect, it } from "vitest";
import { signatureHeader, verifySignature } from "../../src/notifications/webhooks/signature";

const SECRET = "whsec_0123456789abcdef";
const BODY = '{"id":"evt_1","object":"event","type":"invoice.paid"}';
const T = 1_780_000_000;

describe("Billify-Signature", () => {
  it('is t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body"> and verifies', async () => {
    const header = await signatureHeader(SECRET, BODY, T);
    expect(header).toMatch(/^t=1780000000,v1=[0-9a-f]{64}$/);
    // The same HMAC computed independently (WebCrypto, key = the whole whsec_ string).
    const key = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(SECRET),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${T}.${BODY}`));
    expect(header.split("v1=")[1]).toBe([...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join(""));
    expect(await verifySignature(header, BODY, SECRET, T + 10)).toEqual({ ok: true, timestamp: T });
  });

  it("refuses the wrong secret", async () => {
    const header = await signatureHeader(SECRET, BODY, T);
    expect(await verifySignature(header, BODY, "whsec_other", T)).toEqual({ ok: false, reason: "mismatch" });
  });

  it("refuses a timestamp more than 300 s away, either side, and accepts one exactly 300 s old", async () => {
    const header = await signatureHeader(SECRET, BODY, T);
    expect(await verifySignature(header, BODY, SECRET, T + 300)).toEqual({ ok: true, timestamp: T });
    expect(await verifySignature(header, BODY, SECRET, T + 301)).toEqual({ ok: false, reason: "stale" });
    expect(await verifySignature(header, BODY, SECRET, T - 301)).toEqual({ ok: false, reason: "stale" });
  });

  it("refuses a tampered body, and a replayed signature under a forged timestamp", async () => {
    const header = await signatureHeader(SECRET, BODY, T);
    expect(await verifySignature(header, BODY.replace("invoice.paid", "invoice.voided"), SECRET, T)).toEqual({
      ok: false,
      reason: "mismatch",
    });
    const forged = header.replace(`t=${T}`, `t=${T + 100}`);
    expect(await verifySignature(forged, BODY, SECRET, T + 100)).toEqual({ ok: false, reason: "mismatch" });
  });

  it("refuses a missing or malformed header", async () => {
    expect(await verifySignature(null, BODY, SECRET, T)).toEqual({ ok: false, reason: "malformed" });
    expect(await verifySignature("v1=abc", BODY, SECRET, T)).toEqual({ ok: false, reason: "malformed" });
    expect(await verifySignature(`t=${T}`, BODY, SECRET, T)).toEqual({ ok: false, reason: "malformed" });
  });
});
