/** The sliver of Node's `fs` the browser test uses (the project has no @types/node; see test/global-setup/node-http.d.ts). */
declare module "node:fs" {
  function existsSync(path: string): boolean;
  function mkdirSync(path: string, options?: { recursive?: boolean }): string | undefined;
}
