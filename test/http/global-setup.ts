/**
 * The `http` vitest project (Node, not workerd): one real Billify over `wrangler dev` on a free
 * port with fresh storage, shared by every test/http suite as `inject("serviceUrl")`.
 */
import type { TestProject } from "vitest/node";
import { startService } from "../../scripts/service.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    /** `http://127.0.0.1:<port>` of the service started for the `http` project. */
    serviceUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const service = await startService();
  project.provide("serviceUrl", service.url);
  return () => service.stop();
}
