#!/usr/bin/env node
// Copies Scalar's standalone bundle into public/docs/ (served by Workers static assets at /docs),
// so the docs page needs no CDN. Runs on `npm install` (postinstall); safe to run again.
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "node_modules", "@scalar", "api-reference", "dist", "browser", "standalone.js");
const target = join(root, "public", "docs", "scalar.js");

if (!existsSync(source)) {
  // A production install (--omit=dev) has no Scalar: the page then shows its <noscript> link only.
  console.warn(`docs-assets: ${source} not found; /docs will not render until devDependencies are installed`);
} else {
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(source, target);
}
