#!/usr/bin/env node
// The import-direction check (ARCHITECTURE.md "Layout"): every src/ folder is a layer, and a
// file may import only from its own layer or a lower one; no cycle between folders; no platform
// import and no wall clock in src/domain. `--self-test` proves the check fails on bad imports.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** Lowest first. Top-level files are listed by name; folders by their first segment. */
export const LAYERS = [
  ["domain"],
  ["contract"],
  ["lib"],
  ["payments", "notifications", "admin", "pages"],
  ["actors"],
  ["api", "queues"],
  ["index.ts"],
];

const rankOf = new Map(LAYERS.flatMap((names, rank) => names.map((name) => [name, rank])));

/** The folder (or top-level file) a src-relative path belongs to. */
export function unitOf(path) {
  return path.split("/")[0];
}

const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?\sfrom\s*["']([^"']+)["']|(?:^|[\s;])import\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** The specifiers of a source's import / export … from / import() statements (comments stripped). */
export function specifiersOf(source) {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  return [...code.matchAll(SPECIFIER)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/**
 * files: Map of src-relative path → source text. Returns the violations, one line each.
 */
export function check(files) {
  const problems = [];
  const edges = new Map(); // unit → Map(unit → first "file → import" seen)
  for (const [file, source] of files) {
    const from = unitOf(file);
    const fromRank = rankOf.get(from);
    if (fromRank === undefined) {
      problems.push(`${file}: folder "${from}" is in no layer (scripts/check-layers.mjs LAYERS)`);
      continue;
    }
    if (from === "domain") {
      if (/\bDate\.now\s*\(/.test(source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, ""))) {
        problems.push(`${file}: Date.now() in src/domain (time comes in as an argument)`);
      }
    }
    for (const specifier of specifiersOf(source)) {
      if (from === "domain" && specifier.startsWith("cloudflare:")) {
        problems.push(`${file}: imports "${specifier}" (src/domain has no platform imports)`);
      }
      if (!specifier.startsWith(".")) continue;
      const target = normalize(join(dirname(file), specifier))
        .split(sep)
        .join("/");
      if (target.startsWith("..")) continue; // outside src/
      const to = unitOf(target.includes("/") ? target : `${target}.ts`);
      const toUnit = rankOf.has(to) ? to : unitOf(target);
      const toRank = rankOf.get(toUnit);
      if (toRank === undefined || toUnit === from) continue;
      if (toRank > fromRank) {
        problems.push(`${file}: imports "${specifier}" (${toUnit}, a higher layer than ${from})`);
      }
      if (!edges.has(from)) edges.set(from, new Map());
      if (!edges.get(from).has(toUnit)) edges.get(from).set(toUnit, `${file} → ${specifier}`);
    }
  }
  // Cycles between folders (also catches two folders of one layer importing each other).
  const state = new Map();
  const stack = [];
  const visit = (unit) => {
    state.set(unit, "open");
    stack.push(unit);
    for (const [next, via] of edges.get(unit) ?? []) {
      if (state.get(next) === "open") {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        problems.push(`cycle between folders: ${cycle.join(" → ")} (e.g. ${via})`);
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(unit, "done");
  };
  for (const unit of [...edges.keys()].sort()) if (!state.has(unit)) visit(unit);
  return problems;
}

function sourcesUnder(root) {
  const files = new Map();
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".ts")) files.set(relative(root, path).split(sep).join("/"), readFileSync(path, "utf8"));
    }
  };
  walk(root);
  return files;
}

function selfTest() {
  const good = new Map([
    ["domain/a.ts", 'import type { X } from "./b";\nexport const a = 1;'],
    ["lib/h.ts", 'import { a } from "../domain/a";'],
    ["actors/x.ts", 'import { h } from "../lib/h";\nexport { y } from "../payments/y";'],
    ["payments/y.ts", 'import { a } from "../domain/a";'],
    ["index.ts", 'export { x } from "./actors/x";'],
  ]);
  const bad = new Map([
    ["domain/a.ts", 'import { DurableObject } from "cloudflare:workers";\nconst t = Date.now();'],
    ["lib/h.ts", 'import {\n  x,\n} from "../actors/x";'],
    ["payments/y.ts", 'import { n } from "../notifications/n";'],
    ["notifications/n.ts", 'export { y } from "../payments/y";'],
    ["actors/x.ts", 'import { h } from "../lib/h";'],
  ]);
  const failures = [];
  const goodProblems = check(good);
  if (goodProblems.length > 0) failures.push(`a valid graph was refused: ${goodProblems.join("; ")}`);
  const badProblems = check(bad).join("\n");
  for (const expected of [
    /domain\/a\.ts: imports "cloudflare:workers"/,
    /domain\/a\.ts: Date\.now\(\)/,
    /lib\/h\.ts: imports "\.\.\/actors\/x" \(actors, a higher layer than lib\)/,
    /cycle between folders: .*(notifications → payments|payments → notifications)/,
  ]) {
    if (!expected.test(badProblems)) failures.push(`a violation was not reported: ${expected}`);
  }
  if (failures.length > 0) {
    console.error(`check-layers self-test failed:\n${failures.join("\n")}`);
    process.exit(1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  selfTest(); // always: a check that cannot fail proves nothing
  if (process.argv.includes("--self-test")) process.exit(0);
  const root = join(dirname(fileURLToPath(import.meta.url)), "..", "src");
  const problems = check(sourcesUnder(root));
  if (problems.length > 0) {
    console.error(
      `Imports against the layers (domain ← contract ← lib ← payments, notifications, admin ← actors ← api, queues ← index.ts):\n${problems.map((p) => (p.startsWith("cycle") ? `  ${p}` : `  src/${p}`)).join("\n")}`,
    );
    process.exit(1);
  }
}
