/** The sliver of Node's `fs`, `os` and `path` the real-HTTP and browser tests use (the project has no @types/node; see test/global-setup/node-http.d.ts). */
declare module "node:fs" {
  function existsSync(path: string): boolean;
  function mkdirSync(path: string, options?: { recursive?: boolean }): string | undefined;
  function mkdtempSync(prefix: string): string;
  function rmSync(path: string, options?: { recursive?: boolean; force?: boolean }): void;
}
declare module "node:os" {
  function tmpdir(): string;
}
declare module "node:path" {
  function join(...parts: string[]): string;
}
