import { ApiError } from "../errors";

/**
 * One page of a KV index, newest first. The cursor we hand out wraps KV's with the prefix it
 * belongs to, so a cursor from another listing (or another filter) is refused with 400
 * `param: cursor` instead of silently paging something else.
 */
export async function listIndexPage<M>(
  kv: KVNamespace,
  prefix: string,
  limit: number,
  cursor: string | undefined,
): Promise<{ keys: KVNamespaceListKey<M, string>[]; nextCursor: string | null }> {
  const kvCursor = cursor === undefined ? undefined : unwrapCursor(cursor, prefix);
  let listed: KVNamespaceListResult<M, string>;
  try {
    listed = await kv.list<M>({ prefix, limit, cursor: kvCursor });
  } catch (error) {
    if (kvCursor === undefined) throw error;
    throw invalidCursor();
  }
  const nextCursor = listed.list_complete ? null : wrapCursor(prefix, listed.cursor);
  return { keys: listed.keys, nextCursor };
}

function wrapCursor(prefix: string, kvCursor: string): string {
  return btoa(JSON.stringify({ p: prefix, c: kvCursor })).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unwrapCursor(cursor: string, prefix: string): string {
  try {
    const decoded = JSON.parse(atob(cursor.replace(/-/g, "+").replace(/_/g, "/"))) as { p?: unknown; c?: unknown };
    if (decoded.p === prefix && typeof decoded.c === "string" && decoded.c !== "") return decoded.c;
  } catch {
    // fall through: not one of ours
  }
  throw invalidCursor();
}

function invalidCursor(): ApiError {
  return new ApiError(400, "parameter_invalid", "Invalid cursor: pass the next_cursor of a previous page of this same listing (same filters).", "cursor");
}
