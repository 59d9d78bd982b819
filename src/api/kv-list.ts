import type { Context } from "hono";
import type { ListPage } from "../contract/common";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "./context";

// A list paged over a KV listing index (the catalog's read models: coupons, promotion codes,
// tax rates), as the plan list does: a cursor is KV's own and the page's last key.

interface KvCursor {
  kv: string;
  after: string;
}

function encode(cursor: KvCursor): string {
  return btoa(JSON.stringify([cursor.kv, cursor.after]))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

function decode(text: string, prefix: string): KvCursor {
  try {
    const parsed: unknown = JSON.parse(atob(text.replace(/-/g, "+").replace(/_/g, "/")));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === "string" &&
      typeof parsed[1] === "string" &&
      parsed[1].startsWith(prefix)
    )
      return { kv: parsed[0], after: parsed[1] };
  } catch {
    // not base64 or not JSON: not ours
  }
  throw invalidCursor();
}

function invalidCursor(): ApiError {
  return new ApiError(
    400,
    "parameter_invalid",
    "Invalid cursor: pass a next_cursor from a previous page of this list.",
    "cursor",
  );
}

/**
 * One page of the objects under `prefix`, newest first. `keep` filters a page after it is read,
 * so a filtered page may hold fewer than `limit` objects while `has_more` is still true.
 */
export async function listFromKv<T>(
  c: Context<AppEnv>,
  prefix: string,
  query: { limit: number; cursor?: string | undefined },
  keep: (item: T) => boolean = () => true,
): Promise<ListPage<T>> {
  const from = query.cursor === undefined ? null : decode(query.cursor, prefix);
  let listed: KVNamespaceListResult<unknown, string>;
  try {
    listed = await c.env.BILLIFY_KV.list({ prefix, limit: query.limit, cursor: from?.kv });
  } catch (error) {
    if (from === null) throw error;
    throw invalidCursor();
  }
  const first = listed.keys[0];
  if (from !== null && first !== undefined && first.name <= from.after) throw invalidCursor();
  const items: (T | null)[] = await Promise.all(listed.keys.map((k) => c.env.BILLIFY_KV.get<T>(k.name, "json")));
  const last = listed.keys.at(-1);
  const next = !listed.list_complete && last !== undefined ? encode({ kv: listed.cursor, after: last.name }) : null;
  return {
    object: "list",
    data: items.filter((item): item is T => item !== null && keep(item)),
    has_more: next !== null,
    next_cursor: next,
  };
}
