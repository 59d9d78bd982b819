import { cloudflareTest } from "@cloudflare/vitest-plugin";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

/**
 * The local keys, and no per-key rate limit: suites in workerd share one key and some (fuzz,
 * storms) send thousands of requests in seconds. test/api/rate-limit.test.ts turns it on.
 */
const LOCAL_KEYS = {
  BILLIFY_API_KEY: "sk_test_local",
  BILLIFY_ADMIN_KEY: "sk_admin_local",
  BILLIFY_MODE: "test",
  BILLIFY_RATE_LIMIT: "off",
};
const FINAL_ACTION_FILES = "test/billing/final-action-*.test.ts";
/** Real-HTTP suites: run in Node against `wrangler dev` (the `http` project), never in workerd. */
const HTTP_FILES = "test/http/**/*.test.ts";

/**
 * Drops one Vite warning: dependencies that ship source maps without their sources (stripe's
 * ESM build) make Vite say so once per file on a cold cache. Nothing to act on, and a passing
 * `npm test` prints no warning. (vitest replaces `customLogger`, so the resolved logger is patched.)
 */
const quietDependencySourcemaps: Plugin = {
  name: "billify:quiet-dependency-sourcemaps",
  configResolved(config) {
    const noise = (message: string) =>
      /^Sourcemap for ".*\/node_modules\/.*" points to missing source files$/.test(message);
    const { warn, warnOnce } = config.logger;
    config.logger.warn = (message, options) => (noise(message) ? undefined : warn(message, options));
    config.logger.warnOnce = (message, options) => (noise(message) ? undefined : warnOnce(message, options));
  },
};

/**
 * One project per configuration: the default policy (retry days 1,3,5,7, final action cancel),
 * and one per other final action, whose suites need their own bindings.
 */
function project(name: string, include: string[], bindings: Record<string, string>, exclude: string[] = []) {
  return {
    plugins: [
      quietDependencySourcemaps,
      cloudflareTest({
        wrangler: { configPath: "./wrangler.jsonc" },
        miniflare: { bindings: { ...LOCAL_KEYS, ...bindings } },
      }),
    ],
    // 20 s: the machines that run this are shared; a test that needs more is a bug, not load.
    test: {
      name,
      include,
      exclude,
      globalSetup: ["./test/global-setup/fake-stripe.ts", "./test/global-setup/fake-receiver.ts"],
      testTimeout: 20_000,
    },
  };
}

export default defineConfig({
  test: {
    // Three files at once on two cores: most of a file's time is spent waiting (alarms, polls,
    // `wrangler dev` over HTTP), and vitest's default (cores − 1) ran the suite one file at a time.
    maxWorkers: 3,
    projects: [
      project("default", ["test/**/*.test.ts"], {}, [FINAL_ACTION_FILES, HTTP_FILES]),
      project("final-action-unpaid", ["test/billing/final-action-unpaid.test.ts"], { BILLIFY_FINAL_ACTION: "unpaid" }),
      project("final-action-past-due", ["test/billing/final-action-past-due.test.ts"], {
        BILLIFY_FINAL_ACTION: "past_due",
      }),
      // One `wrangler dev` on a free port with fresh storage for all of them (scripts/service.mjs).
      {
        plugins: [quietDependencySourcemaps],
        test: {
          name: "http",
          environment: "node",
          include: [HTTP_FILES],
          // The fake Stripe too, for suites that start a service charging through it (refund-failed).
          globalSetup: ["./test/http/global-setup.ts", "./test/global-setup/fake-stripe.ts"],
          testTimeout: 30_000,
          hookTimeout: 150_000,
        },
      },
    ],
  },
});
