import type { Query } from "../../lib/sql";
import type { ActorStorage } from "./host";

/**
 * A table (or a group of tables written together) that a new actor does not create with its
 * schema but on its first INSERT: most objects never need it, and every table created costs
 * rows written (its `sqlite_master` entry, twice, and one per index).
 */
export interface TableOnDemand {
  /** The table whose existence says the group exists (the first one `create` makes). */
  readonly name: string;
  /** Its final shape: the statements that make it (and the rest of its group) in one step. */
  readonly create: readonly string[];
}

/**
 * The `Query` for statements on one table made on demand: an INSERT makes it first (inside
 * the caller's transaction); any other statement (SELECT, UPDATE, DELETE) before it exists
 * finds nothing and changes nothing. So a read of a fresh object creates nothing and never
 * fails on a table not made yet.
 */
export function queryOnDemand(
  storage: Pick<ActorStorage, "query" | "hasTable" | "ensureTable">,
  table: TableOnDemand,
): Query {
  return <T>(statement: string, ...params: Parameters<Query>[1][]): T[] => {
    if (/^\s*INSERT\b/i.test(statement)) storage.ensureTable(table.name, ...table.create);
    else if (!storage.hasTable(table.name)) return [];
    return storage.query<T>(statement, ...params);
  };
}
