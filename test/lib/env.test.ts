import { describe, expect, it } from "vitest";
import { DEFAULT_ALARM_RUNS_IN_FLIGHT, parseAlarmRunsInFlight } from "../../src/lib/env";

describe("BILLIFY_ALARM_RUNS_IN_FLIGHT", () => {
  it("defaults to 4, takes whole numbers 1–1000, and `off` for no limit", () => {
    expect(DEFAULT_ALARM_RUNS_IN_FLIGHT).toBe(4);
    expect(parseAlarmRunsInFlight(undefined)).toBe(4);
    expect(parseAlarmRunsInFlight("1")).toBe(1);
    expect(parseAlarmRunsInFlight(" 64 ")).toBe(64);
    expect(parseAlarmRunsInFlight("1000")).toBe(1000);
    expect(parseAlarmRunsInFlight("off")).toBeNull();
    expect(parseAlarmRunsInFlight("OFF")).toBeNull();
  });

  it("refuses anything else, naming the variable", () => {
    for (const bad of ["0", "1001", "-1", "2.5", "four", "", "1e2"]) {
      expect(() => parseAlarmRunsInFlight(bad), bad).toThrow(/BILLIFY_ALARM_RUNS_IN_FLIGHT must be/);
    }
  });
});
