import type { Context } from "hono";
import type { ListPage } from "../contract/common";
import { base64url, fromBase64url } from "../lib/bytes";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "./context";

// A newest-first list of JSON values kept under one KV prefix (coupons, promotion codes, tax
// rates, meters, the email log, dead letters, the audit trail). A cursor wraps KV's own with the
// page's last key, so a cursor this service did not issue is refused (400 naming `cursor`).

interface KvCursor {
  kv: string;
  after: string;
}

function encode(cursor: KvCursor): string {
  return base64url(new TextEncoder().encode(JSON.stringify([cursor.kv, cursor.after])));
}

function decode(text: string, prefix: string): KvCursor {
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(fromBase64url(text)));
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

export interface ListOptions<T, V> {
  /** Filters a page after it is read: a filtered page may hold fewer than `limit` objects while `has_more` is true. */
  keep?: (item: T) => boolean;
  /** What the list shows of a stored value (default: the value itself). */
  view?: (key: string, item: T) => V;
}

/** One page of the objects under `prefix`, newest first. */
export async function listFromKv<T, V = T>(
  c: Context<AppEnv>,
  prefix: string,
  query: { limit: number; cursor?: string | undefined },
  { keep = () => true, view = (_, item) => item as unknown as V }: ListOptions<T, V> = {},
): Promise<ListPage<V>> {
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
  const items = await Promise.all(
    listed.keys.map(async (k) => {
      const item = await c.env.BILLIFY_KV.get<T>(k.name, "json");
      return item === null || !keep(item) ? null : view(k.name, item);
    }),
  );
  const last = listed.keys.at(-1);
  const next = !listed.list_complete && last !== undefined ? encode({ kv: listed.cursor, after: last.name }) : null;
  return {
    object: "list",
    data: items.filter((item): item is Awaited<V> & V => item !== null),
    has_more: next !== null,
    next_cursor: next,
  };
}
