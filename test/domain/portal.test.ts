import { describe, expect, it } from "vitest";
import { checkPortalLink, DEFAULT_PORTAL_TTL_SECONDS, parsePortalTtl } from "../../src/domain/portal";

describe("portal links", () => {
  const link = { expiresAt: 1_000, usedAt: null };

  it("open once, strictly before they expire", () => {
    expect(checkPortalLink(link, 999)).toBe("valid");
    expect(checkPortalLink(link, 1_000)).toBe("expired");
    expect(checkPortalLink({ ...link, usedAt: 500 }, 600)).toBe("used");
    expect(checkPortalLink({ ...link, usedAt: 500 }, 2_000)).toBe("used");
  });

  it("last BILLIFY_PORTAL_TTL_SECONDS, 30 minutes unless set, from a minute to a day", () => {
    expect(parsePortalTtl(undefined)).toBe(DEFAULT_PORTAL_TTL_SECONDS);
    expect(DEFAULT_PORTAL_TTL_SECONDS).toBe(1_800);
    expect(parsePortalTtl("600")).toBe(600);
    for (const bad of ["59", "86401", "1.5", "x", "-5"])
      expect(() => parsePortalTtl(bad)).toThrow(/BILLIFY_PORTAL_TTL_SECONDS/);
  });
});
