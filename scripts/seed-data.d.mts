/** Types for scripts/seed-data.mjs (plain Node ESM, run unbuilt by `npm run seed` and the browser test). */

export interface SeedOptions {
  /** Base URL of a running Billify, no trailing slash. */
  url: string;
  /** Default sk_admin_local. */
  adminKey?: string;
  /** Default 200. */
  customers?: number;
  /** Test clocks the customers are spread over (default 10). */
  clocks?: number;
  /** The story generator's seed (default 42). */
  seed?: number;
  onProgress?: (done: number, total: number, label: string) => void;
}

export interface Seeded {
  plans: string[];
  customers: string[];
  subscriptions: string[];
  clocks: string[];
}

export const PLANS: { id: string; name: string; currency: string; amount: number; interval: string }[];
export function seed(options: SeedOptions): Promise<Seeded>;
