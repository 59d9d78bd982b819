import { describe, expect, it } from "vitest";
import { parseRenewalSpread, renewalOffsetMs } from "../../src/domain/spread";

describe("renewal spreading", () => {
  it("gives each subscription the same offset inside the window, every period", () => {
    const offset = renewalOffsetMs("sub_01JZ0000000000000000000042", 60);
    expect(offset).toBeGreaterThanOrEqual(0);
    expect(offset).toBeLessThan(60_000);
    expect(renewalOffsetMs("sub_01JZ0000000000000000000042", 60)).toBe(offset);
    expect(renewalOffsetMs("sub_01JZ0000000000000000000042", 0)).toBe(0);
  });

  it("spreads ten thousand subscriptions evenly: no second of a minute holds more than twice its share", () => {
    const perSecond = new Array(60).fill(0);
    for (let i = 0; i < 10_000; i++)
      perSecond[Math.floor(renewalOffsetMs(`sub_01JZ${String(i).padStart(22, "0")}`, 60) / 1000)] += 1;
    expect(Math.max(...perSecond)).toBeLessThan((2 * 10_000) / 60);
    expect(Math.min(...perSecond)).toBeGreaterThan(10_000 / 60 / 2);
  });

  it("reads BILLIFY_RENEWAL_SPREAD_SECONDS as whole seconds up to an hour", () => {
    expect(parseRenewalSpread(undefined)).toBe(0);
    expect(parseRenewalSpread("60")).toBe(60);
    for (const bad of ["-1", "1.5", "soon", "3601"])
      expect(() => parseRenewalSpread(bad)).toThrow(/BILLIFY_RENEWAL_SPREAD_SECONDS/);
  });
});
