/** clients/billify-signature.mjs (the README's receiver code) in Node, against signatures Billify makes. */
import { describe, expect, it } from "vitest";
import { verifyBillifySignature } from "../../clients/billify-signature.mjs";
import { signatureHeader } from "../../src/notifications/webhooks/signature";

const SECRET = "whsec_5f2b";
const BODY = JSON.stringify({
  id: "evt_1",
  object: "event",
  type: "invoice.paid",
  created: "2026-01-31T10:00:00Z",
  data: { object: { id: "in_1" } },
});
const T = 1_780_000_000;

describe("verifyBillifySignature (Node receiver helper)", () => {
  it("accepts Billify's signature and returns the event", async () => {
    const header = await signatureHeader(SECRET, BODY, T);
    expect(verifyBillifySignature(BODY, header, SECRET, T + 299)).toEqual(JSON.parse(BODY));
  });

  it("refuses the wrong secret, a stale or future timestamp, a tampered body, and a malformed header", async () => {
    const header = await signatureHeader(SECRET, BODY, T);
    expect(() => verifyBillifySignature(BODY, header, "whsec_other", T)).toThrow("does not match");
    expect(() => verifyBillifySignature(BODY, header, SECRET, T + 301)).toThrow("outside the 300 s tolerance");
    expect(() => verifyBillifySignature(BODY, header, SECRET, T - 301)).toThrow("outside the 300 s tolerance");
    expect(() => verifyBillifySignature(BODY.replace("invoice.paid", "invoice.voided"), header, SECRET, T)).toThrow(
      "does not match",
    );
    expect(() => verifyBillifySignature(BODY, undefined, SECRET, T)).toThrow("missing or malformed");
    expect(() => verifyBillifySignature(BODY, `t=${T}`, SECRET, T)).toThrow("missing or malformed");
  });
});
