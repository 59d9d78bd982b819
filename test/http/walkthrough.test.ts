import { describe, expect, it } from "vitest";
import { serviceUrl } from "./client";
import { pathWith, readText, run } from "./shell.mjs";

const SCRIPT = "scripts/walkthrough.sh";

/** The "# → …" lines of the script: what each command prints (with jq). */
function expectedOutput(script: string): string[] {
  return script
    .split("\n")
    .filter((line) => line.startsWith("# → "))
    .map((line) => line.slice("# → ".length));
}

describe("the README walk-through, run over real HTTP", () => {
  it("prints exactly the results its comments show", async () => {
    const { status, stdout, stderr } = await run("bash", [SCRIPT], { env: { B: serviceUrl() } });
    expect(stderr).toBe("");
    expect(status).toBe(0);
    const expected = expectedOutput(readText(SCRIPT));
    expect(expected).toHaveLength(21);
    expect(stdout.trimEnd().split("\n")).toEqual(expected);
  });

  it("runs again on the same server (the plans replay by Idempotency-Key)", async () => {
    const { status, stderr } = await run("bash", [SCRIPT], { env: { B: serviceUrl() } });
    expect(stderr).toBe("");
    expect(status).toBe(0);
  });

  it("works without jq, printing raw JSON and checking each captured id", async () => {
    const bin = pathWith(["curl", "sed", "cat"]);
    try {
      const { status, stdout, stderr } = await run("/usr/bin/bash", [SCRIPT], {
        env: { B: serviceUrl(), PATH: bin.path },
      });
      expect(stderr).toBe("");
      expect(status).toBe(0);
      const lines = stdout.trimEnd().split("\n");
      expect(lines).toHaveLength(21);
      for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
      expect(JSON.parse(lines[2]!)).toMatchObject({
        object: "subscription",
        status: "active",
        current_period_end: "2026-02-28T10:00:00Z",
      });
    } finally {
      bin.remove();
    }
  });

  it("stops at the first failing call, saying why", async () => {
    // Nothing listens on port 9 of 127.0.0.1 (discard): curl fails, and so does the script.
    const { status, stdout } = await run("bash", [SCRIPT], { env: { B: "http://127.0.0.1:9" } });
    expect(status).not.toBe(0);
    expect(stdout).toBe("");
  });

  it("is what the README shows, line for line", () => {
    const readme = readText("README.md");
    const body = readText(SCRIPT)
      .split("\n")
      .slice(
        readText(SCRIPT)
          .split("\n")
          .findIndex((l) => l.startsWith("B=")),
      )
      .join("\n")
      .trimEnd();
    expect(readme).toContain(body);
  });
});
