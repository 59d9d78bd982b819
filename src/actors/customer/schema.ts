import type { TableOnDemand } from "../capabilities/tables-on-demand";
import { EMAIL_TABLE, EMAIL_TABLE_V6 } from "./emails";
import { METER_EVENT_INDEX, METER_EVENT_TABLE } from "./meter-events";
import { PORTAL_TABLE } from "./portal-sessions";

/** The customer actor's tables. Append a new entry to change the schema; never edit one. */
export const CUSTOMER_MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE customer (
       id TEXT PRIMARY KEY, email TEXT, name TEXT, payment_method TEXT, test_clock TEXT,
       metadata TEXT NOT NULL, created INTEGER NOT NULL)`,
    `CREATE TABLE subscription_ref (id TEXT PRIMARY KEY, created_ms INTEGER NOT NULL)`,
  ],
  // v2: the customer's own events (customer.created/updated), the outbox for the queue, and
  // the emails sent to it (one row per event: what makes an email go out at most once).
  [
    `CREATE TABLE event (
       seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
       created INTEGER NOT NULL, data TEXT NOT NULL, delivered INTEGER NOT NULL DEFAULT 0)`,
    EMAIL_TABLE,
  ],
  // v3: fewer rows written per event (as the subscription's v5 and v6): the outbox's watermark
  // (`_meta.outbox_seq`) alone says which were sent, so no per-row flag; no AUTOINCREMENT (its
  // sqlite_sequence row) and no UNIQUE index on the id (unique by construction, never looked up).
  [
    `CREATE TABLE event_v3 (
       seq INTEGER PRIMARY KEY, id TEXT NOT NULL, type TEXT NOT NULL, created INTEGER NOT NULL, data TEXT NOT NULL)`,
    `INSERT INTO event_v3 (seq, id, type, created, data) SELECT seq, id, type, created, data FROM event`,
    `DROP TABLE event`,
    `ALTER TABLE event_v3 RENAME TO event`,
  ],
  // v4: the customer portal (API §11): single-use links (`link`, id = the session id) and the
  // sessions they were exchanged for (`cookie`, id = the cookie's hash). Secrets only as hashes.
  [PORTAL_TABLE],
  // v5: meter events (docs/billing-rules.md rule 14), the log each subscription reads from its own cursor
  // (`subscription_ref.usage_acked`: the last seq it has counted). The unique index is the
  // identifier's dedup, recorded in the same transaction as the event.
  [
    METER_EVENT_TABLE,
    METER_EVENT_INDEX,
    `ALTER TABLE subscription_ref ADD COLUMN usage_acked INTEGER NOT NULL DEFAULT 0`,
  ],
  // v6: fewer rows written (issue 21): the customer, its subscriptions' index and its emails
  // keyed by their id WITHOUT ROWID, so an insert is one b-tree entry, not a row and its primary
  // key's index (a subscription create wrote 2 rows here, each email sent 2, a new customer's
  // schema 2 more).
  [
    `CREATE TABLE customer_v6 (
       id TEXT PRIMARY KEY, email TEXT, name TEXT, payment_method TEXT, test_clock TEXT,
       metadata TEXT NOT NULL, created INTEGER NOT NULL) WITHOUT ROWID`,
    `INSERT INTO customer_v6 (id, email, name, payment_method, test_clock, metadata, created)
       SELECT id, email, name, payment_method, test_clock, metadata, created FROM customer`,
    `DROP TABLE customer`,
    `ALTER TABLE customer_v6 RENAME TO customer`,
    `CREATE TABLE subscription_ref_v6 (
       id TEXT PRIMARY KEY, created_ms INTEGER NOT NULL, usage_acked INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID`,
    `INSERT INTO subscription_ref_v6 (id, created_ms, usage_acked) SELECT id, created_ms, usage_acked FROM subscription_ref`,
    `DROP TABLE subscription_ref`,
    `ALTER TABLE subscription_ref_v6 RENAME TO subscription_ref`,
    // Every customer before v6 has the email table (it was in the fresh schema since v2).
    EMAIL_TABLE_V6.replace("CREATE TABLE email", "CREATE TABLE email_v6"),
    `INSERT INTO email_v6 SELECT * FROM email`,
    `DROP TABLE email`,
    `ALTER TABLE email_v6 RENAME TO email`,
  ],
];

/**
 * The schema the migrations above lead to, created in one step by a new customer (see
 * `Actor.freshSchema`), but for the tables made on demand (below); with those it equals the
 * migrated one (test/billing/schema.test.ts).
 */
export const CUSTOMER_SCHEMA: readonly string[] = [
  `CREATE TABLE customer (
     id TEXT PRIMARY KEY, email TEXT, name TEXT, payment_method TEXT, test_clock TEXT,
     metadata TEXT NOT NULL, created INTEGER NOT NULL) WITHOUT ROWID`,
  `CREATE TABLE subscription_ref (
     id TEXT PRIMARY KEY, created_ms INTEGER NOT NULL, usage_acked INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID`,
  `CREATE TABLE event (
     seq INTEGER PRIMARY KEY, id TEXT NOT NULL, type TEXT NOT NULL, created INTEGER NOT NULL, data TEXT NOT NULL)`,
];

/**
 * Tables a new customer makes only when it first writes to them (`queryOnDemand`, as the
 * subscription's schema.ts explains): a customer without an email address is never emailed,
 * and most never open the portal or send a meter event. Their final shape; with them the fresh schema equals the migrated one.
 */
export const EMAIL_TABLES: TableOnDemand = { name: "email", create: [EMAIL_TABLE_V6] };
export const PORTAL_SESSION_TABLE: TableOnDemand = { name: "portal_session", create: [PORTAL_TABLE] };
export const METER_EVENT_TABLES: TableOnDemand = {
  name: "meter_event",
  create: [METER_EVENT_TABLE, METER_EVENT_INDEX],
};
export const CUSTOMER_TABLES_ON_DEMAND: readonly TableOnDemand[] = [
  EMAIL_TABLES,
  PORTAL_SESSION_TABLE,
  METER_EVENT_TABLES,
];
