import type { PlatformEnv } from "./env";

type KeyEnv = Pick<
  PlatformEnv,
  "BILLIFY_API_KEY" | "BILLIFY_API_KEYS" | "BILLIFY_ADMIN_KEY" | "BILLIFY_ADMIN_KEYS" | "BILLIFY_READ_KEYS"
>;

/**
 * What a key may do. `admin` opens everything; `api` opens /v1/* except /v1/admin/*;
 * `read` (a restricted key for dashboards and support tools) reads what the admin key reads
 * and writes nothing: GET and HEAD only, every other method is 403.
 */
export type KeyRole = "admin" | "api" | "read";

export interface ConfiguredKey {
  role: KeyRole;
  key: string;
}

/**
 * Every key the environment configures, admin keys first: `BILLIFY_ADMIN_KEY` and the
 * comma-separated `BILLIFY_ADMIN_KEYS`, then `BILLIFY_API_KEY`/`BILLIFY_API_KEYS`, then
 * `BILLIFY_READ_KEYS`. Several keys per role at once is what makes a rotation without downtime
 * (README "Rotating API keys"). Blanks around commas are ignored; an empty list configures none.
 */
export function configuredKeys(env: KeyEnv): ConfiguredKey[] {
  const keys: ConfiguredKey[] = [];
  const seen = new Set<string>();
  const add = (role: KeyRole, ...lists: (string | undefined)[]) => {
    for (const list of lists) {
      for (const key of splitKeys(list)) {
        if (seen.has(key)) continue;
        seen.add(key);
        keys.push({ role, key });
      }
    }
  };
  add("admin", env.BILLIFY_ADMIN_KEY, env.BILLIFY_ADMIN_KEYS);
  add("api", env.BILLIFY_API_KEY, env.BILLIFY_API_KEYS);
  add("read", env.BILLIFY_READ_KEYS);
  return keys;
}

/** The admin keys, the first being the one that signs (live tokens); every one of them verifies. */
export function adminKeys(env: KeyEnv): string[] {
  return configuredKeys(env)
    .filter((k) => k.role === "admin")
    .map((k) => k.key);
}

function splitKeys(list: string | undefined): string[] {
  return (list ?? "")
    .split(",")
    .map((key) => key.trim())
    .filter((key) => key !== "");
}

/**
 * A key's id for logs and the audit trail: `key_` and the first 12 hex digits of its SHA-256.
 * It names a key without revealing it; an operator computes it with
 * `printf %s "$KEY" | sha256sum | cut -c1-12`.
 */
export async function keyIdOf(key: string): Promise<string> {
  return keyIdOfDigest(await sha256(key));
}

export function keyIdOfDigest(digest: ArrayBuffer): string {
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `key_${hex.slice(0, 12)}`;
}

export function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
}

/**
 * The configured key equal to `presented`, or null. Every configured key is compared, in
 * constant time (equal-length SHA-256 digests through timingSafeEqual), and the loop never
 * stops early, so the time taken says nothing about which key matched or how much of one did.
 */
export async function matchKey(
  presented: string,
  keys: readonly ConfiguredKey[],
): Promise<{ key: ConfiguredKey; digest: ArrayBuffer } | null> {
  const digest = await sha256(presented);
  const digests = await Promise.all(keys.map((k) => digestOf(k.key)));
  let found: ConfiguredKey | null = null;
  for (let i = 0; i < keys.length; i++) {
    if (crypto.subtle.timingSafeEqual(digest, digests[i]!) && found === null) found = keys[i]!;
  }
  return found ? { key: found, digest } : null;
}

/** Digests of configured keys, once per isolate (the keys change only with a new deployment). */
const digestCache = new Map<string, Promise<ArrayBuffer>>();

function digestOf(key: string): Promise<ArrayBuffer> {
  let digest = digestCache.get(key);
  if (!digest) {
    digest = sha256(key);
    if (digestCache.size > 64) digestCache.clear();
    digestCache.set(key, digest);
  }
  return digest;
}
