import type { Context } from "hono";
import type { ListPage } from "../contract/common";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "./context";

/** A newest-first page of JSON values kept under `prefix` in KV (inverted-time keys). */
export async function kvPage<T, V = T>(
  c: Context<AppEnv>,
  prefix: string,
  limit: number,
  cursor: string | undefined,
  view: (key: string, value: T) => V = (_, value) => value as unknown as V,
): Promise<ListPage<V>> {
  let listed: KVNamespaceListResult<unknown, string>;
  try {
    listed = await c.env.BILLIFY_KV.list({ prefix, limit, cursor });
  } catch (error) {
    if (cursor === undefined) throw error;
    throw new ApiError(400, "parameter_invalid", "Invalid cursor: pass a next_cursor from a previous page.", "cursor");
  }
  const values = await Promise.all(
    listed.keys.map(async (k) => {
      const value = await c.env.BILLIFY_KV.get<T>(k.name, "json");
      return value === null ? null : view(k.name, value);
    }),
  );
  return {
    object: "list",
    data: values.filter((v): v is Awaited<V> & V => v !== null),
    has_more: !listed.list_complete,
    next_cursor: listed.list_complete ? null : listed.cursor,
  };
}
