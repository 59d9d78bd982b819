import { base64url, fromBase64url } from "./bytes";
import { ApiError } from "./errors";

/** Where a page of a KV index starts: KV's own cursor and the last key of the page before. */
interface IndexCursor {
  kv: string;
  after: string;
}

/** How a listing writes its `next_cursor` (base64url JSON) and reads it back (null: not one it issued). */
export interface CursorFormat {
  encode(prefix: string, cursor: IndexCursor): string;
  decode(prefix: string, json: unknown): IndexCursor | null;
  /** The 400's message for a cursor it did not issue. */
  invalid: string;
}

/** The admin listings' cursor: KV's wrapped with the prefix it belongs to (`{p, c, a}`). */
const PREFIXED_CURSOR: CursorFormat = {
  encode: (prefix, cursor) => JSON.stringify({ p: prefix, c: cursor.kv, a: cursor.after }),
  decode: (prefix, json) => {
    const d = (json ?? {}) as { p?: unknown; c?: unknown; a?: unknown };
    return d.p === prefix && typeof d.c === "string" && d.c !== "" && typeof d.a === "string"
      ? { kv: d.c, after: d.a }
      : null;
  },
  invalid: "Invalid cursor: pass the next_cursor of a previous page of this same listing (same filters).",
};

/**
 * One page of a KV index, newest first. The cursor we hand out carries KV's with the prefix
 * (or the last key) of the listing it belongs to, so a cursor from another listing (or another
 * filter) is refused with 400 `param: cursor` instead of silently paging something else.
 */
export async function listIndexPage<M>(
  kv: KVNamespace,
  prefix: string,
  limit: number,
  cursor: string | undefined,
  format: CursorFormat = PREFIXED_CURSOR,
): Promise<{ keys: KVNamespaceListKey<M, string>[]; nextCursor: string | null }> {
  const from = cursor === undefined ? undefined : decodeCursor(cursor, prefix, format);
  let listed: KVNamespaceListResult<M, string>;
  try {
    listed = await kv.list<M>({ prefix, limit, cursor: from?.kv });
  } catch (error) {
    // KV rejects a cursor it did not issue: the client's mistake, not a 500.
    if (from === undefined) throw error;
    throw invalidCursor(format);
  }
  // A KV cursor KV did not issue may restart at the first page instead of failing: a real next
  // page starts after the last key of the page the cursor came from.
  const first = listed.keys[0];
  if (from !== undefined && first !== undefined && first.name <= from.after) throw invalidCursor(format);
  const last = listed.keys.at(-1);
  const nextCursor =
    listed.list_complete || !last
      ? null
      : base64url(new TextEncoder().encode(format.encode(prefix, { kv: listed.cursor, after: last.name })));
  return { keys: listed.keys, nextCursor };
}

function decodeCursor(cursor: string, prefix: string, format: CursorFormat): IndexCursor {
  let decoded: IndexCursor | null = null;
  try {
    decoded = format.decode(prefix, JSON.parse(new TextDecoder().decode(fromBase64url(cursor))));
  } catch {
    // not base64url JSON: not one of ours
  }
  if (!decoded) throw invalidCursor(format);
  return decoded;
}

function invalidCursor(format: CursorFormat): ApiError {
  return new ApiError(400, "parameter_invalid", format.invalid, "cursor");
}
