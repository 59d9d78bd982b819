/** Types for scripts/service.mjs (plain Node ESM, so bench scripts and `npm run` can use it unbuilt). */

export interface ServiceOptions {
  /** Extra `--var NAME:value` for wrangler dev; they override the local keys. */
  vars?: Record<string, string>;
  /** Storage directory to use (kept on stop). Default: a fresh temp directory, removed on stop. */
  persistTo?: string;
  /** Port to listen on (127.0.0.1). Default: a free one. */
  port?: number;
  /** Capture wrangler's output instead of printing it (default true). */
  quiet?: boolean;
  /** Another wrangler configuration file (e.g. the bench's `bench/wrangler.bench.jsonc`). */
  config?: string;
}

export interface Service {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  port: number;
  /** Kill wrangler and workerd (the whole process group) and remove the temp state directory. */
  stop(): Promise<void>;
  /**
   * Crash the service: SIGKILL to the whole process group at once, no graceful shutdown. A `persistTo`
   * directory stays exactly as the crash left it (start again on it); a temp one is removed.
   */
  kill(): Promise<void>;
  /** wrangler's captured output so far. */
  log(): string;
}

export const LOCAL_VARS: { BILLIFY_API_KEY: string; BILLIFY_ADMIN_KEY: string; BILLIFY_MODE: string };
export function freePort(): Promise<number>;
export function startService(options?: ServiceOptions): Promise<Service>;
