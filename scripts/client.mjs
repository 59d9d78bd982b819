#!/usr/bin/env node
// `npm run client`: regenerates the typed client from the running service's OpenAPI document:
// clients/openapi.json (the document) and clients/billify.d.ts (openapi-typescript's types).
// `npm test` fails when either differs from what the code serves (test/http/openapi.test.ts).
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startService } from "./service.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const DOCUMENT = "clients/openapi.json";
export const TYPES = "clients/billify.d.ts";

/** The document exactly as committed: two-space JSON and a final newline. */
export function documentText(document) {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** Runs openapi-typescript on `input` (a path under the project) into `output`. */
export function generateTypes(input, output) {
  const bin = join(root, "node_modules", ".bin", "openapi-typescript");
  // Defaults do not make a request field required: a client may leave interval_count out.
  const result = spawnSync(bin, [input, "--default-non-nullable", "false", "--output", output], {
    cwd: root,
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`openapi-typescript failed:\n${result.stdout}${result.stderr}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const service = await startService();
  try {
    const response = await fetch(`${service.url}/v1/openapi.json`);
    writeFileSync(join(root, DOCUMENT), documentText(await response.json()));
  } finally {
    await service.stop();
  }
  generateTypes(DOCUMENT, TYPES);
  console.log(`wrote ${DOCUMENT} and ${TYPES}`);
}
