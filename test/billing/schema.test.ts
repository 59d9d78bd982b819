import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CUSTOMER_MIGRATIONS, CUSTOMER_SCHEMA, CUSTOMER_TABLES_ON_DEMAND } from "../../src/actors/customer/schema";
import { EventLog } from "../../src/actors/subscription/event-log";
import {
  SUBSCRIPTION_MIGRATIONS,
  SUBSCRIPTION_SCHEMA,
  SUBSCRIPTION_TABLES_ON_DEMAND,
} from "../../src/actors/subscription/schema";

const TABLES = [
  "subscription",
  "invoice",
  "invoice_line",
  "pending_line",
  "job",
  "payment",
  "event_batch",
  "redemption",
  "usage_window",
  "usage_aggregate",
  "usage_distinct",
];
/** Every actor has it before its migrations run (src/actors/actor.ts); v8 moves a key in it. */
const META = "CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID";

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
  const found = sql.exec("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", table).toArray()[0];
  if (!found) return null;
  const ddl = String(found.sql);
  return { columns, indexes, withoutRowid: /WITHOUT ROWID/i.test(ddl), autoincrement: /AUTOINCREMENT/i.test(ddl) };
}

describe("subscription schema", () => {
  it("creates for a new object, with the tables made on demand, exactly the tables that every migration in turn leads to", async () => {
    // A plan actor's database has none of the subscription's tables: replay the migrations there.
    const migrated = await runInDurableObject(env.PLANS.getByName("schema-check-migrated"), (_instance, state) => {
      state.storage.transactionSync(() => {
        state.storage.sql.exec(META);
        for (const step of SUBSCRIPTION_MIGRATIONS) for (const statement of step) state.storage.sql.exec(statement);
      });
      return TABLES.map((table) => shape(state.storage.sql, table));
    });
    const fresh = await runInDurableObject(env.PLANS.getByName("schema-check-fresh"), (_instance, state) => {
      state.storage.transactionSync(() => {
        for (const statement of SUBSCRIPTION_SCHEMA) state.storage.sql.exec(statement);
        // The fresh schema leaves them out; each is made, in its final shape, by its first insert.
        expect(TABLES.filter((table) => shape(state.storage.sql, table) === null)).toEqual([
          "pending_line",
          "redemption",
          "usage_window",
          "usage_aggregate",
          "usage_distinct",
        ]);
        for (const table of SUBSCRIPTION_TABLES_ON_DEMAND)
          for (const statement of table.create) state.storage.sql.exec(statement);
      });
      return TABLES.map((table) => shape(state.storage.sql, table));
    });
    expect(fresh).toEqual(migrated);
    expect(fresh.map((t) => t?.columns.length)).toEqual([40, 21, 13, 11, 3, 22, 3, 2, 5, 9, 3]);
    expect(fresh[6]).toMatchObject({ indexes: [], withoutRowid: false, autoincrement: false });
    // v15: the subscription row is one b-tree entry (no primary-key index beside a rowid).
    expect(fresh[0]).toMatchObject({ withoutRowid: true });
  });

  it("v8 turns each event row of v7 into a batch of one under its seq, and the outbox's seq into a position", async () => {
    const v8 = SUBSCRIPTION_MIGRATIONS.findIndex((step) => step.some((s) => s.includes("CREATE TABLE event_batch")));
    expect(v8 + 1).toBe(8);
    const { batches, watermark, listed, afterCursor } = await runInDurableObject(
      env.PLANS.getByName("schema-check-v8"),
      (_instance, state) => {
        const sql = state.storage.sql;
        state.storage.transactionSync(() => {
          sql.exec(META);
          for (const step of SUBSCRIPTION_MIGRATIONS.slice(0, v8)) for (const statement of step) sql.exec(statement);
          // v7's rows: one per event, the outbox's watermark a seq (events 1 and 2 sent).
          const insert = "INSERT INTO event (seq, id, type, created, data) VALUES (?, ?, ?, ?, ?)";
          sql.exec(insert, 1, "evt_A", "subscription.created", 1_780_000_000, '{"object":{"id":"sub_1"}}');
          sql.exec(insert, 2, "evt_B", "invoice.created", 1_780_000_000, '{"object":{"id":"in_1","total":500}}');
          sql.exec(insert, 4, "evt_C", "subscription.updated", 1_780_000_100, '{"object":{"id":"sub_1"},"x":[1]}');
          sql.exec("INSERT INTO _meta (key, value) VALUES ('outbox_seq', 2)");
          for (const statement of SUBSCRIPTION_MIGRATIONS[v8]!) sql.exec(statement);
        });
        const log = new EventLog((statement, ...params) => sql.exec(statement, ...params).toArray() as never[]);
        return {
          batches: sql
            .exec("SELECT seq, created, json_array_length(events) AS n FROM event_batch ORDER BY seq")
            .toArray(),
          watermark: sql
            .exec<{ key: string; value: number }>("SELECT key, value FROM _meta WHERE key LIKE 'outbox%'")
            .toArray(),
          listed: log.after(0, 10),
          // A cursor issued before v8 (a seq) still points after that event.
          afterCursor: log.after(log.positionOfCursor("1")!, 10).map((e) => e.event.id),
        };
      },
    );
    expect(batches).toEqual([
      { seq: 1, created: 1_780_000_000, n: 1 },
      { seq: 2, created: 1_780_000_000, n: 1 },
      { seq: 4, created: 1_780_000_100, n: 1 },
    ]);
    expect(listed.map((e) => e.event)).toEqual([
      { id: "evt_A", type: "subscription.created", created: 1_780_000_000, data: { object: { id: "sub_1" } } },
      { id: "evt_B", type: "invoice.created", created: 1_780_000_000, data: { object: { id: "in_1", total: 500 } } },
      { id: "evt_C", type: "subscription.updated", created: 1_780_000_100, data: { object: { id: "sub_1" }, x: [1] } },
    ]);
    // The watermark stands at the end of batch 2: events 1 and 2 sent, the third not.
    expect(watermark).toEqual([{ key: "outbox_position", value: 2999 }]);
    expect(listed.filter((e) => e.position > watermark[0]!.value).map((e) => e.event.id)).toEqual(["evt_C"]);
    expect(afterCursor).toEqual(["evt_B", "evt_C"]);
  });

  it("v17 deletes the invoice_upcoming job rows (the notice's due time is derived from the state) and no other job", async () => {
    const v17 = SUBSCRIPTION_MIGRATIONS.findIndex((step) => step.some((s) => s.includes("kind = 'invoice_upcoming'")));
    expect(v17 + 1).toBe(17);
    const jobs = await runInDurableObject(env.PLANS.getByName("schema-check-v17"), (_instance, state) => {
      const sql = state.storage.sql;
      return state.storage.transactionSync(() => {
        sql.exec(META);
        for (const step of SUBSCRIPTION_MIGRATIONS.slice(0, v17)) for (const statement of step) sql.exec(statement);
        const job = "INSERT INTO job (kind, invoice_id, due_at) VALUES (?, ?, ?)";
        sql.exec(job, "renew", "", 2_000);
        sql.exec(job, "invoice_upcoming", "", 1_400);
        sql.exec(job, "retry_payment", "in_1", 1_500);
        for (const statement of SUBSCRIPTION_MIGRATIONS[v17]!) sql.exec(statement);
        return sql.exec("SELECT kind, invoice_id, due_at FROM job ORDER BY due_at").toArray();
      });
    });
    expect(jobs).toEqual([
      { kind: "retry_payment", invoice_id: "in_1", due_at: 1_500 },
      { kind: "renew", invoice_id: "", due_at: 2_000 },
    ]);
  });

  it("v16 moves what the read model was given from _admin_mirror into the subscription row, made or not", async () => {
    const v16 = SUBSCRIPTION_MIGRATIONS.findIndex((step) => step.some((s) => s.includes("ADD COLUMN mirror")));
    expect(v16 + 1).toBe(16);
    const migrate = (mirrored: boolean) =>
      runInDurableObject(env.PLANS.getByName(`schema-check-v16-${mirrored}`), (_instance, state) => {
        const sql = state.storage.sql;
        return state.storage.transactionSync(() => {
          sql.exec(META);
          for (const step of SUBSCRIPTION_MIGRATIONS.slice(0, v16)) for (const statement of step) sql.exec(statement);
          sql.exec(
            `INSERT INTO subscription (id, customer, plan_id, plan_name, currency, amount, interval, interval_count,
               trial_days, quantity, status, anchor, current_period_start, current_period_end, cancel_at_period_end,
               credit_balance, metadata, created, version, invoice_seq, last_id_ms)
             VALUES ('sub_1', 'cus_1', 'plan_1', 'Pro', 'usd', 1500, 'month', 1, 0, 1, 'active', 1, 1, 2, 0, 0, '{}', 1, 3, 1, 1)`,
          );
          if (mirrored) {
            sql.exec(SUBSCRIPTION_MIGRATIONS[v16]![1]!);
            sql.exec(
              `INSERT INTO _admin_mirror VALUES (1, '["sub:sub_1","status:active:sub_1"]', 3, 1780000000123, 2, '["active","usd",1500]', 0)`,
            );
          }
          for (const statement of SUBSCRIPTION_MIGRATIONS[v16]!) sql.exec(statement);
          const tables = sql.exec("SELECT name FROM sqlite_master WHERE name = '_admin_mirror'").toArray();
          return {
            mirror: sql.exec("SELECT mirror FROM subscription").one().mirror as string | null,
            tables: tables.length,
          };
        });
      });
    const mirrors = [await migrate(true), await migrate(false)];
    expect(mirrors.map((m) => m.tables)).toEqual([0, 0]);
    expect(JSON.parse(mirrors[0]!.mirror!)).toEqual({
      keys: ["sub:sub_1", "status:active:sub_1"],
      kvVersion: 3,
      writtenMs: 1_780_000_000_123,
      metricsVersion: 2,
      metrics: '["active","usd",1500]',
    });
    // Never mirrored: nothing to copy (the next write puts every key).
    expect(mirrors[1]!.mirror).toBeNull();
  });

  it("v14 keys payments by invoice and turns each reconcile_payment job into the column of its invoice's pending card payments", async () => {
    const v14 = SUBSCRIPTION_MIGRATIONS.findIndex((step) => step.some((s) => s.includes("CREATE TABLE payment_v14")));
    expect(v14 + 1).toBe(14);
    const { payments, jobs, openFrom, indexes } = await runInDurableObject(
      env.PLANS.getByName("schema-check-v14"),
      (_instance, state) => {
        const sql = state.storage.sql;
        state.storage.transactionSync(() => {
          sql.exec(META);
          for (const step of SUBSCRIPTION_MIGRATIONS.slice(0, v14)) for (const statement of step) sql.exec(statement);
          sql.exec(
            `INSERT INTO subscription (id, customer, plan_id, plan_name, currency, amount, interval, interval_count,
               trial_days, quantity, status, anchor, current_period_start, current_period_end, cancel_at_period_end,
               credit_balance, metadata, created, version, invoice_seq, last_id_ms, open_from)
             VALUES ('sub_1', 'cus_1', 'plan_1', 'P', 'usd', 500, 'month', 1, 0, 1, 'incomplete_expired', 0, 0, 1, 0,
               0, '{}', 0, 3, 2, 0, 'in_3')`,
          );
          const pay = `INSERT INTO payment (id, invoice_id, amount, currency, status, method, attempt, gateway_key, created, attention_since)
             VALUES (?, ?, 500, 'usd', ?, ?, ?, ?, ?, ?)`;
          // in_1: expired while its attempt was pending (its reconcile job survives the close);
          // in_2: a pending attempt past the window, flagged; in_3: a failed one and a manual payment.
          sql.exec(pay, "pay_a", "in_1", "pending", "card", 1, "in_1:attempt:1", 100, null);
          sql.exec(pay, "pay_b", "in_2", "pending", "card", 1, "in_2:attempt:1", 200, 90_000);
          sql.exec(pay, "pay_c", "in_3", "failed", "card", 1, "in_3:attempt:1", 300, null);
          sql.exec(pay, "pay_d", "in_3", "succeeded", "manual", 2, null, 301, null);
          const job = "INSERT INTO job (kind, invoice_id, due_at) VALUES (?, ?, ?)";
          sql.exec(job, "reconcile_payment", "in_1", 400);
          sql.exec(job, "reconcile_payment", "in_2", 500);
          sql.exec(job, "renew", "", 2_000);
          for (const statement of SUBSCRIPTION_MIGRATIONS[v14]!) sql.exec(statement);
        });
        return {
          payments: sql
            .exec("SELECT invoice_id, id, status, reconcile_at FROM payment ORDER BY invoice_id, id")
            .toArray(),
          jobs: sql.exec("SELECT kind, invoice_id, due_at FROM job ORDER BY kind").toArray(),
          openFrom: sql.exec("SELECT open_from FROM subscription").one().open_from,
          indexes: sql.exec("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'payment'").toArray(),
        };
      },
    );
    expect(payments).toEqual([
      { invoice_id: "in_1", id: "pay_a", status: "pending", reconcile_at: 400 },
      { invoice_id: "in_2", id: "pay_b", status: "pending", reconcile_at: null },
      { invoice_id: "in_3", id: "pay_c", status: "failed", reconcile_at: null },
      { invoice_id: "in_3", id: "pay_d", status: "succeeded", reconcile_at: null },
    ]);
    expect(jobs).toEqual([{ kind: "renew", invoice_id: "", due_at: 2_000 }]);
    // The bound moves down to the invoice with a payment to reconcile, so the alarm finds it.
    expect(openFrom).toBe("in_1");
    // The primary key's own b-tree only (WITHOUT ROWID): no index row written per payment.
    expect(indexes).toEqual([]);
  });
});

describe("customer schema", () => {
  it("creates for a new object exactly the tables that every migration in turn leads to", async () => {
    const tables = ["customer", "subscription_ref", "event", "email", "portal_session", "meter_event"];
    const migrated = await runInDurableObject(env.PLANS.getByName("customer-schema-migrated"), (_instance, state) => {
      state.storage.transactionSync(() => {
        for (const step of CUSTOMER_MIGRATIONS) for (const statement of step) state.storage.sql.exec(statement);
      });
      return tables.map((table) => shape(state.storage.sql, table));
    });
    const fresh = await runInDurableObject(env.PLANS.getByName("customer-schema-fresh"), (_instance, state) => {
      state.storage.transactionSync(() => {
        for (const statement of CUSTOMER_SCHEMA) state.storage.sql.exec(statement);
        expect(tables.filter((table) => shape(state.storage.sql, table) === null)).toEqual([
          "email",
          "portal_session",
          "meter_event",
        ]);
        for (const table of CUSTOMER_TABLES_ON_DEMAND)
          for (const statement of table.create) state.storage.sql.exec(statement);
      });
      return tables.map((table) => shape(state.storage.sql, table));
    });
    expect(fresh).toEqual(migrated);
    expect(fresh.map((t) => t?.columns.length)).toEqual([7, 3, 5, 13, 7, 7]);
    expect(fresh[2]).toMatchObject({ indexes: [], autoincrement: false });
    // v6: the customer, its subscriptions' index and its emails are one b-tree entry per row.
    expect([0, 1, 3].map((i) => fresh[i]?.withoutRowid)).toEqual([true, true, true]);
  });
});

describe("migrations that rebuild a table WITHOUT ROWID keep every row", () => {
  it("customer v6: the customer, its subscriptions' index and its emails", async () => {
    const rows = await runInDurableObject(env.PLANS.getByName("customer-schema-v6"), (_instance, state) => {
      const sql = state.storage.sql;
      state.storage.transactionSync(() => {
        for (const step of CUSTOMER_MIGRATIONS.slice(0, 5)) for (const statement of step) sql.exec(statement);
        sql.exec(
          "INSERT INTO customer (id, email, name, payment_method, test_clock, metadata, created) VALUES ('cus_1', 'a@b.c', 'A', 'pm_card_visa', NULL, '{\"k\":\"v\"}', 1780000000)",
        );
        sql.exec("INSERT INTO subscription_ref (id, created_ms, usage_acked) VALUES ('sub_1', 5, 7), ('sub_2', 6, 0)");
        sql.exec(
          "INSERT INTO email (event_id, event_type, status, to_address, subject, text, html, provider, attempts, updated_ms, logged) VALUES ('evt_1', 'invoice.paid', 'sent', 'a@b.c', 'S', 't', '<p>h</p>', 'log', 1, 9, 1)",
        );
        for (const statement of CUSTOMER_MIGRATIONS[5]!) sql.exec(statement);
      });
      return {
        customer: sql.exec("SELECT * FROM customer").toArray(),
        refs: sql.exec("SELECT * FROM subscription_ref ORDER BY id").toArray(),
        emails: sql.exec("SELECT event_id, status, html, logged FROM email").toArray(),
      };
    });
    expect(rows).toEqual({
      customer: [
        {
          id: "cus_1",
          email: "a@b.c",
          name: "A",
          payment_method: "pm_card_visa",
          test_clock: null,
          metadata: '{"k":"v"}',
          created: 1_780_000_000,
        },
      ],
      refs: [
        { id: "sub_1", created_ms: 5, usage_acked: 7 },
        { id: "sub_2", created_ms: 6, usage_acked: 0 },
      ],
      emails: [{ event_id: "evt_1", status: "sent", html: "<p>h</p>", logged: 1 }],
    });
  });

  it("subscription v15: the subscription row, every column", async () => {
    const { before, after } = await runInDurableObject(env.PLANS.getByName("schema-check-v15"), (_instance, state) => {
      const sql = state.storage.sql;
      let before: Record<string, unknown>[] = [];
      state.storage.transactionSync(() => {
        sql.exec(META);
        for (const step of SUBSCRIPTION_MIGRATIONS.slice(0, 14)) for (const statement of step) sql.exec(statement);
        sql.exec(
          `INSERT INTO subscription (id, customer, plan_id, plan_name, currency, amount, interval, interval_count, trial_days,
             quantity, status, anchor, current_period_start, current_period_end, cancel_at_period_end, credit_balance,
             latest_invoice, metadata, created, version, invoice_seq, last_id_ms, clock_time, payment_method,
             payment_details_version, discount, charges, usage_seq, open_from)
           VALUES ('sub_1', 'cus_1', 'p', 'Pro', 'usd', 1000, 'month', 1, 0, 2, 'active', 100, 100, 200, 0, -50,
             'in_9', '{}', 100, 7, 3, 12345, 150, 'pm_card_visa', 4, '{"coupon":"c"}', '[{"m":1}]', 9, 'in_8')`,
        );
        before = sql.exec("SELECT * FROM subscription").toArray();
        for (const statement of SUBSCRIPTION_MIGRATIONS[14]!) sql.exec(statement);
      });
      return { before, after: sql.exec("SELECT * FROM subscription").toArray() };
    });
    expect(Object.keys(before[0]!)).toHaveLength(39);
    expect(after).toEqual(before);
  });
});
