import { ApiError } from "../contract/errors";
import { base64url, fromBase64url } from "../lib/bytes";

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
  const from = cursor === undefined ? undefined : unwrapCursor(cursor, prefix);
  let listed: KVNamespaceListResult<M, string>;
  try {
    listed = await kv.list<M>({ prefix, limit, cursor: from?.kv });
  } catch (error) {
    if (from === undefined) throw error;
    throw invalidCursor();
  }
  // A KV cursor KV did not issue may restart at the first page instead of failing: a real next
  // page starts after the last key of the page the cursor came from.
  const first = listed.keys[0];
  if (from !== undefined && first !== undefined && first.name <= from.after) throw invalidCursor();
  const last = listed.keys.at(-1);
  const nextCursor = listed.list_complete || !last ? null : wrapCursor({ p: prefix, c: listed.cursor, a: last.name });
  return { keys: listed.keys, nextCursor };
}

function wrapCursor(cursor: { p: string; c: string; a: string }): string {
  return base64url(new TextEncoder().encode(JSON.stringify(cursor)));
}

function unwrapCursor(cursor: string, prefix: string): { kv: string; after: string } {
  try {
    const decoded = JSON.parse(new TextDecoder().decode(fromBase64url(cursor))) as {
      p?: unknown;
      c?: unknown;
      a?: unknown;
    };
    if (decoded.p === prefix && typeof decoded.c === "string" && decoded.c !== "" && typeof decoded.a === "string")
      return { kv: decoded.c, after: decoded.a };
  } catch {
    // fall through: not one of ours
  }
  throw invalidCursor();
}

function invalidCursor(): ApiError {
  return new ApiError(
    400,
    "parameter_invalid",
    "Invalid cursor: pass the next_cursor of a previous page of this same listing (same filters).",
    "cursor",
  );
}
