#!/usr/bin/env node
// `npm run docs:screenshot`: starts the service, opens /docs in headless Chromium (Debian's
// `chromium`, driven by playwright-core: no browser download) and saves docs/api-reference.png.
// Offline by construction: every request to another origin is refused and reported.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startService } from "./service.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const output = join(root, "docs", "api-reference.png");
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";

const service = await startService();
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
const foreign = [];
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1 });
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(service.url) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
    foreign.push(url);
    return route.abort();
  });
  await page.goto(`${service.url}/docs#tag/subscriptions/POST/v1/subscriptions`, { waitUntil: "networkidle" });
  await page.getByText("Create a subscription").first().waitFor({ timeout: 30_000 });
  await page.waitForTimeout(1_500);
  await page.screenshot({ path: output });
  console.log(`wrote ${output}`);
  if (foreign.length > 0)
    console.log(
      `refused requests to other origins (the page worked without them):\n  ${[...new Set(foreign)].join("\n  ")}`,
    );
} finally {
  await browser.close();
  await service.stop();
}
