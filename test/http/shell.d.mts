/** Types for test/http/shell.mjs. */
export const root: string;
export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}
export function run(
  command: string,
  args: string[],
  options?: { env?: Record<string, string>; input?: string },
): Promise<RunResult>;
export interface CurlResult {
  status: number;
  /** Lowercase names. */
  headers: Record<string, string>;
  text: string;
  json: any;
}
export function curl(args: string[]): Promise<CurlResult>;
export function readText(relativePath: string): string;
export function pathWith(programs: string[]): { path: string; remove(): void };
export function withTempDir<T>(fn: (dir: string) => T | Promise<T>): Promise<T>;
export function readAbsolute(path: string): string;
export function listFiles(relativeDir: string, suffix: string): string[];
