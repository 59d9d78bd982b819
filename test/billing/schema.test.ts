import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CUSTOMER_MIGRATIONS, CUSTOMER_SCHEMA } from "../../src/actors/customer/schema";
import { SUBSCRIPTION_MIGRATIONS, SUBSCRIPTION_SCHEMA } from "../../src/actors/subscription/schema";

const TABLES = ["subscription", "invoice", "invoice_line", "pending_line", "job", "payment", "event"];

type Sql = DurableObjectStorage["sql"];

/** What a table is, independent of how its CREATE text was spelled: columns, keys, indexes, rowid. */
function shape(sql: Sql, table: string) {
  const columns = sql
    .exec(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info('${table}') ORDER BY cid`)
    .toArray();
  const indexes = sql
    .exec(
      `SELECT "unique", origin, partial, (SELECT group_concat(name) FROM pragma_index_info(il.name)) AS cols FROM pragma_index_list('${table}') AS il ORDER BY cols`,
    )
    .toArray();
  const ddl = String(sql.exec("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", table).one().sql);
  return { columns, indexes, withoutRowid: /WITHOUT ROWID/i.test(ddl), autoincrement: /AUTOINCREMENT/i.test(ddl) };
}

describe("subscription schema", () => {
  it("creates for a new object exactly the tables that every migration in turn leads to", async () => {
    // A plan actor's database has none of the subscription's tables: replay the migrations there.
    const migrated = await runInDurableObject(env.PLANS.getByName("schema-check-migrated"), (_instance, state) => {
      state.storage.transactionSync(() => {
        for (const step of SUBSCRIPTION_MIGRATIONS) for (const statement of step) state.storage.sql.exec(statement);
      });
      return TABLES.map((table) => shape(state.storage.sql, table));
    });
    const fresh = await runInDurableObject(env.PLANS.getByName("schema-check-fresh"), (_instance, state) => {
      state.storage.transactionSync(() => {
        for (const statement of SUBSCRIPTION_SCHEMA) state.storage.sql.exec(statement);
      });
      return TABLES.map((table) => shape(state.storage.sql, table));
    });
    expect(fresh).toEqual(migrated);
    expect(fresh.map((t) => t.columns.length)).toEqual([31, 18, 10, 9, 3, 17, 5]);
  });
});

describe("customer schema", () => {
  it("creates for a new object exactly the tables that every migration in turn leads to", async () => {
    const tables = ["customer", "subscription_ref", "event", "email"];
    const migrated = await runInDurableObject(env.PLANS.getByName("customer-schema-migrated"), (_instance, state) => {
      state.storage.transactionSync(() => {
        for (const step of CUSTOMER_MIGRATIONS) for (const statement of step) state.storage.sql.exec(statement);
      });
      return tables.map((table) => shape(state.storage.sql, table));
    });
    const fresh = await runInDurableObject(env.PLANS.getByName("customer-schema-fresh"), (_instance, state) => {
      state.storage.transactionSync(() => {
        for (const statement of CUSTOMER_SCHEMA) state.storage.sql.exec(statement);
      });
      return tables.map((table) => shape(state.storage.sql, table));
    });
    expect(fresh).toEqual(migrated);
    expect(fresh.map((t) => t.columns.length)).toEqual([7, 2, 5, 13]);
    expect(fresh[2]).toMatchObject({ indexes: [], autoincrement: false });
  });
});
