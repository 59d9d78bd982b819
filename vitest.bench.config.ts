import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** `npm run bench`: speed and storage cost per operation, measured inside workerd. */
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: {
        bindings: { BILLIFY_API_KEY: "sk_test_local", BILLIFY_ADMIN_KEY: "sk_admin_local", BILLIFY_MODE: "test" },
      },
    }),
  ],
  test: { include: ["bench/**/*.bench.ts"], testTimeout: 120_000 },
});
