import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { instantFromMillis, parseIso, toIso, toIsoDate } from "../../src/domain/time";

// 2026-01-31T10:00:00Z as epoch seconds, worked out by hand: 20_484 days × 86_400 + 10 h.
const JAN_31_2026_10H = 20_484 * 86_400 + 10 * 3_600;

describe("ISO 8601 instants", () => {
  it("parses a UTC timestamp to whole seconds since the epoch", () => {
    expect(parseIso("2026-01-31T10:00:00Z")).toBe(JAN_31_2026_10H);
    expect(JAN_31_2026_10H).toBe(1_769_853_600);
    expect(parseIso("1970-01-01T00:00:00Z")).toBe(0);
  });

  it("applies a positive or negative UTC offset", () => {
    expect(parseIso("2026-01-31T12:30:00+02:30")).toBe(JAN_31_2026_10H);
    expect(parseIso("2026-01-31T05:00:00-05:00")).toBe(JAN_31_2026_10H);
    expect(parseIso("2026-01-31T10:00:00+00:00")).toBe(JAN_31_2026_10H);
  });

  it("an offset may move the instant to another calendar day", () => {
    expect(parseIso("2026-01-31T23:00:00-02:00")).toBe(parseIso("2026-02-01T01:00:00Z"));
    expect(toIso(parseIso("2026-03-01T00:30:00+01:00")!)).toBe("2026-02-28T23:30:00Z");
  });

  it("truncates fractions of a second: billing runs to the second", () => {
    expect(parseIso("2026-01-31T10:00:00.999Z")).toBe(JAN_31_2026_10H);
    expect(parseIso("2026-01-31T10:00:00.5Z")).toBe(JAN_31_2026_10H);
    expect(parseIso("2026-01-31T10:00:00.000Z")).toBe(JAN_31_2026_10H);
    expect(parseIso("2026-01-31T10:00:01.001Z")).toBe(JAN_31_2026_10H + 1);
  });

  it("truncates a fraction before 1970 to the earlier whole second", () => {
    expect(parseIso("1969-12-31T23:59:59.5Z")).toBe(-1);
    expect(toIso(-1)).toBe("1969-12-31T23:59:59Z");
  });

  it("accepts Feb 29 in a leap year only", () => {
    expect(toIso(parseIso("2028-02-29T00:00:00Z")!)).toBe("2028-02-29T00:00:00Z");
    expect(parseIso("2026-02-29T00:00:00Z")).toBeNull();
    expect(parseIso("2100-02-29T00:00:00Z")).toBeNull();
    expect(toIso(parseIso("2000-02-29T00:00:00Z")!)).toBe("2000-02-29T00:00:00Z");
  });

  it("rejects calendar dates and times that do not exist", () => {
    expect(parseIso("2026-02-30T00:00:00Z")).toBeNull();
    expect(parseIso("2026-04-31T00:00:00Z")).toBeNull();
    expect(parseIso("2026-13-01T00:00:00Z")).toBeNull();
    expect(parseIso("2026-00-10T00:00:00Z")).toBeNull();
    expect(parseIso("2026-01-00T00:00:00Z")).toBeNull();
    expect(parseIso("2026-01-31T24:00:00Z")).toBeNull();
    expect(parseIso("2026-01-31T10:60:00Z")).toBeNull();
    expect(parseIso("2026-01-31T10:00:60Z")).toBeNull();
  });

  it("rejects a date without a time, a time without an offset, and garbage", () => {
    expect(parseIso("2026-01-31")).toBeNull();
    expect(parseIso("2026-01-31T10:00:00")).toBeNull();
    expect(parseIso("2026-01-31T10:00Z")).toBeNull();
    expect(parseIso("2026-01-31 10:00:00Z")).toBeNull();
    expect(parseIso("garbage")).toBeNull();
    expect(parseIso("")).toBeNull();
    expect(parseIso(" 2026-01-31T10:00:00Z")).toBeNull();
    expect(parseIso("1769853600")).toBeNull();
  });

  it("formats an instant with second precision and a Z", () => {
    expect(toIso(JAN_31_2026_10H)).toBe("2026-01-31T10:00:00Z");
    expect(toIso(0)).toBe("1970-01-01T00:00:00Z");
    expect(toIso(JAN_31_2026_10H + 86_400 * 28 + 59)).toBe("2026-02-28T10:00:59Z");
  });

  it("formats the UTC calendar date used in line descriptions", () => {
    expect(toIsoDate(JAN_31_2026_10H)).toBe("2026-01-31");
    expect(toIsoDate(JAN_31_2026_10H + 14 * 3_600 - 1)).toBe("2026-01-31");
    expect(toIsoDate(JAN_31_2026_10H + 14 * 3_600)).toBe("2026-02-01");
  });

  it("converts the platform clock's milliseconds to whole seconds", () => {
    expect(instantFromMillis(1_769_853_600_999)).toBe(JAN_31_2026_10H);
    expect(instantFromMillis(1_769_853_601_000)).toBe(JAN_31_2026_10H + 1);
    expect(instantFromMillis(-1)).toBe(-1);
  });

  it("round-trips any instant from 1970 to 2200 through toIso and parseIso", () => {
    const year2200 = parseIso("2200-01-01T00:00:00Z")!;
    expect(year2200).toBe(7_258_118_400);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: year2200 }), (instant) => {
        const text = toIso(instant);
        expect(text).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
        expect(parseIso(text)).toBe(instant);
      }),
    );
  });
});
