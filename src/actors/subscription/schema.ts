import type { TableOnDemand } from "../capabilities/tables-on-demand";
import { USAGE_TABLES } from "./usage-store";
/** The subscription actor's tables. Append a new entry to change the schema; never edit one. */
export const SUBSCRIPTION_MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE subscription (
       id TEXT PRIMARY KEY, customer TEXT NOT NULL,
       plan_id TEXT NOT NULL, plan_name TEXT NOT NULL, currency TEXT NOT NULL, amount INTEGER NOT NULL,
       interval TEXT NOT NULL, interval_count INTEGER NOT NULL, trial_days INTEGER NOT NULL,
       quantity INTEGER NOT NULL, status TEXT NOT NULL, anchor INTEGER NOT NULL,
       current_period_start INTEGER NOT NULL, current_period_end INTEGER NOT NULL,
       trial_start INTEGER, trial_end INTEGER, cancel_at_period_end INTEGER NOT NULL,
       canceled_at INTEGER, ended_at INTEGER, credit_balance INTEGER NOT NULL,
       latest_invoice TEXT, test_clock TEXT, metadata TEXT NOT NULL, created INTEGER NOT NULL,
       version INTEGER NOT NULL, invoice_seq INTEGER NOT NULL, last_id_ms INTEGER NOT NULL)`,
    `CREATE TABLE invoice (
       id TEXT PRIMARY KEY, number TEXT NOT NULL UNIQUE, status TEXT NOT NULL, currency TEXT NOT NULL,
       subtotal INTEGER NOT NULL, total INTEGER NOT NULL, credit_applied INTEGER NOT NULL,
       amount_due INTEGER NOT NULL, amount_paid INTEGER NOT NULL, attempt_count INTEGER NOT NULL,
       next_payment_attempt INTEGER, period_start INTEGER NOT NULL, period_end INTEGER NOT NULL,
       billing_reason TEXT NOT NULL, created INTEGER NOT NULL, finalized_at INTEGER, paid_at INTEGER,
       voided_at INTEGER)`,
    `CREATE TABLE invoice_line (
       id TEXT PRIMARY KEY, invoice_id TEXT NOT NULL, position INTEGER NOT NULL, type TEXT NOT NULL,
       description TEXT NOT NULL, amount INTEGER NOT NULL, quantity INTEGER NOT NULL, plan TEXT,
       period_start INTEGER NOT NULL, period_end INTEGER NOT NULL)`,
    `CREATE INDEX invoice_line_by_invoice ON invoice_line (invoice_id, position)`,
    `CREATE TABLE pending_line (
       id TEXT PRIMARY KEY, seq INTEGER NOT NULL, type TEXT NOT NULL, description TEXT NOT NULL,
       amount INTEGER NOT NULL, quantity INTEGER NOT NULL, plan TEXT,
       period_start INTEGER NOT NULL, period_end INTEGER NOT NULL)`,
    // One row per scheduled piece of work; the alarm is always MIN(due_at) (or the clock's).
    `CREATE TABLE job (
       kind TEXT NOT NULL, invoice_id TEXT NOT NULL DEFAULT '', due_at INTEGER NOT NULL,
       PRIMARY KEY (kind, invoice_id))`,
    `CREATE TABLE payment (
       id TEXT PRIMARY KEY, invoice_id TEXT NOT NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL,
       status TEXT NOT NULL, method TEXT NOT NULL, failure_code TEXT, failure_message TEXT,
       attempt INTEGER NOT NULL, reference TEXT, gateway_key TEXT, gateway_reference TEXT,
       created INTEGER NOT NULL)`,
    `CREATE INDEX payment_by_invoice ON payment (invoice_id, created)`,
    // Events, oldest first by seq; `delivered` is the outbox flag for the notification queue.
    `CREATE TABLE event (
       seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
       created INTEGER NOT NULL, data TEXT NOT NULL, delivered INTEGER NOT NULL DEFAULT 0)`,
  ],
  // v2: the payment method a card attempt charged, so a reconcile resends the same request.
  [`ALTER TABLE payment ADD COLUMN payment_method TEXT`],
  // v3: the customer at the gateway a card attempt charged (Stripe `customer`), for the same reason.
  [`ALTER TABLE payment ADD COLUMN gateway_customer TEXT`],
  // v4: the time a test clock last passed the subscription (it never calls the clock back), and
  // whether a card attempt was made on request (/pay, a new payment method): those never move
  // the retry schedule (docs/billing-rules.md rule 9); and a refund's reference.
  [
    `ALTER TABLE subscription ADD COLUMN clock_time INTEGER`,
    `ALTER TABLE payment ADD COLUMN on_request INTEGER NOT NULL DEFAULT 0`,
    // The gateway's refund of a late success on a closed invoice (null until it is done).
    `ALTER TABLE payment ADD COLUMN refund_reference TEXT`,
  ],
  // v5: fewer rows written per renewal (each index is a row per insert; `npm run bench` lists
  // rows per statement). Events: no AUTOINCREMENT (its sqlite_sequence row) and no UNIQUE index
  // on the id (made unique by construction, never looked up); seq stays the rowid, so the order
  // and `delivered` are kept. Jobs, lines and invoices: WITHOUT ROWID, keyed by what they are
  // read by, so a row is one b-tree entry; an invoice number is gapless by construction
  // (invoice_seq), so its UNIQUE index goes too. Payments: WITHOUT ROWID on their id, one index.
  [
    `CREATE TABLE event_v5 (
       seq INTEGER PRIMARY KEY, id TEXT NOT NULL, type TEXT NOT NULL,
       created INTEGER NOT NULL, data TEXT NOT NULL, delivered INTEGER NOT NULL DEFAULT 0)`,
    `INSERT INTO event_v5 (seq, id, type, created, data, delivered) SELECT seq, id, type, created, data, delivered FROM event`,
    `DROP TABLE event`,
    `ALTER TABLE event_v5 RENAME TO event`,
    `CREATE TABLE job_v5 (
       kind TEXT NOT NULL, invoice_id TEXT NOT NULL DEFAULT '', due_at INTEGER NOT NULL,
       PRIMARY KEY (kind, invoice_id)) WITHOUT ROWID`,
    `INSERT INTO job_v5 (kind, invoice_id, due_at) SELECT kind, invoice_id, due_at FROM job`,
    `DROP TABLE job`,
    `ALTER TABLE job_v5 RENAME TO job`,
    `CREATE TABLE invoice_line_v5 (
       invoice_id TEXT NOT NULL, position INTEGER NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL,
       description TEXT NOT NULL, amount INTEGER NOT NULL, quantity INTEGER NOT NULL, plan TEXT,
       period_start INTEGER NOT NULL, period_end INTEGER NOT NULL,
       PRIMARY KEY (invoice_id, position)) WITHOUT ROWID`,
    `INSERT INTO invoice_line_v5 (invoice_id, position, id, type, description, amount, quantity, plan, period_start, period_end)
       SELECT invoice_id, position, id, type, description, amount, quantity, plan, period_start, period_end FROM invoice_line`,
    `DROP TABLE invoice_line`,
    `ALTER TABLE invoice_line_v5 RENAME TO invoice_line`,
    `CREATE TABLE invoice_v5 (
       id TEXT PRIMARY KEY, number TEXT NOT NULL, status TEXT NOT NULL, currency TEXT NOT NULL,
       subtotal INTEGER NOT NULL, total INTEGER NOT NULL, credit_applied INTEGER NOT NULL,
       amount_due INTEGER NOT NULL, amount_paid INTEGER NOT NULL, attempt_count INTEGER NOT NULL,
       next_payment_attempt INTEGER, period_start INTEGER NOT NULL, period_end INTEGER NOT NULL,
       billing_reason TEXT NOT NULL, created INTEGER NOT NULL, finalized_at INTEGER, paid_at INTEGER,
       voided_at INTEGER) WITHOUT ROWID`,
    `INSERT INTO invoice_v5 SELECT id, number, status, currency, subtotal, total, credit_applied, amount_due, amount_paid,
       attempt_count, next_payment_attempt, period_start, period_end, billing_reason, created, finalized_at, paid_at, voided_at
       FROM invoice`,
    `DROP TABLE invoice`,
    `ALTER TABLE invoice_v5 RENAME TO invoice`,
    `CREATE TABLE payment_v5 (
       id TEXT PRIMARY KEY, invoice_id TEXT NOT NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL,
       status TEXT NOT NULL, method TEXT NOT NULL, failure_code TEXT, failure_message TEXT,
       attempt INTEGER NOT NULL, reference TEXT, gateway_key TEXT, gateway_reference TEXT,
       created INTEGER NOT NULL, payment_method TEXT, gateway_customer TEXT,
       on_request INTEGER NOT NULL DEFAULT 0, refund_reference TEXT) WITHOUT ROWID`,
    `INSERT INTO payment_v5 SELECT id, invoice_id, amount, currency, status, method, failure_code, failure_message,
       attempt, reference, gateway_key, gateway_reference, created, payment_method, gateway_customer, on_request,
       refund_reference FROM payment`,
    `DROP TABLE payment`,
    `ALTER TABLE payment_v5 RENAME TO payment`,
    `CREATE INDEX payment_by_invoice ON payment (invoice_id, created)`,
  ],
  // v6: the outbox's watermark (`_meta.outbox_seq`) alone says which events were sent; a
  // per-row flag cost one more row written per event.
  [`ALTER TABLE event DROP COLUMN delivered`],
  // v7: a versioned copy of the customer's payment details (the customer pushes every change),
  // so a renewal charges without a round trip to the customer; NULL version: no copy yet.
  [
    `ALTER TABLE subscription ADD COLUMN payment_method TEXT`,
    `ALTER TABLE subscription ADD COLUMN gateway_customer TEXT`,
    `ALTER TABLE subscription ADD COLUMN payment_details_version INTEGER`,
  ],
  // v8: one row per decision rather than one per event (event-log.ts): `events` is the JSON
  // array of the events one transaction step recorded, in causal order. Each old row becomes a
  // batch of one under its own seq, so old list cursors (a seq) still point where they did; the
  // outbox's watermark becomes a position (seq × 1000 + 999: all of batch seq is sent).
  [
    `CREATE TABLE event_batch (seq INTEGER PRIMARY KEY, created INTEGER NOT NULL, events TEXT NOT NULL)`,
    `INSERT INTO event_batch (seq, created, events)
       SELECT seq, created, json_array(json_object('id', id, 'type', type, 'created', created, 'data', json(data)))
       FROM event ORDER BY seq`,
    `DROP TABLE event`,
    `UPDATE _meta SET key = 'outbox_position', value = value * 1000 + 999 WHERE key = 'outbox_seq'`,
  ],
  // v9: pausing collection (rule 15) and the customer's invoice page. A draft has no number
  // until it is finalized (the invoice table is rebuilt: SQLite cannot drop a NOT NULL), and a
  // finalized invoice has a random page token (its hosted page and PDF, revocable by a new one).
  [
    `ALTER TABLE subscription ADD COLUMN pause_behavior TEXT`,
    `ALTER TABLE subscription ADD COLUMN pause_resumes_at INTEGER`,
    `CREATE TABLE invoice_v9 (
       id TEXT PRIMARY KEY, number TEXT, status TEXT NOT NULL, currency TEXT NOT NULL,
       subtotal INTEGER NOT NULL, total INTEGER NOT NULL, credit_applied INTEGER NOT NULL,
       amount_due INTEGER NOT NULL, amount_paid INTEGER NOT NULL, attempt_count INTEGER NOT NULL,
       next_payment_attempt INTEGER, period_start INTEGER NOT NULL, period_end INTEGER NOT NULL,
       billing_reason TEXT NOT NULL, created INTEGER NOT NULL, finalized_at INTEGER, paid_at INTEGER,
       voided_at INTEGER, page_token TEXT) WITHOUT ROWID`,
    `INSERT INTO invoice_v9 SELECT id, number, status, currency, subtotal, total, credit_applied, amount_due, amount_paid,
       attempt_count, next_payment_attempt, period_start, period_end, billing_reason, created, finalized_at, paid_at,
       voided_at, lower(hex(randomblob(16))) FROM invoice`,
    `DROP TABLE invoice`,
    `ALTER TABLE invoice_v9 RENAME TO invoice`,
  ],
  // v10: discounts and tax (rules 13, 16): the subscription's discount, tax rates (terms copied)
  // and the discount its current period's line received, as JSON; each line's discounts and
  // taxes (JSON arrays, NULL: none); a credit line's carried discount while pending; the
  // invoice's discount and tax sums.
  [
    `ALTER TABLE subscription ADD COLUMN discount TEXT`,
    `ALTER TABLE subscription ADD COLUMN tax_rates TEXT NOT NULL DEFAULT '[]'`,
    `ALTER TABLE subscription ADD COLUMN period_discount TEXT`,
    `ALTER TABLE invoice_line ADD COLUMN discounts TEXT`,
    `ALTER TABLE invoice_line ADD COLUMN taxes TEXT`,
    `ALTER TABLE pending_line ADD COLUMN carried_discount TEXT`,
    `ALTER TABLE invoice ADD COLUMN total_discount INTEGER NOT NULL DEFAULT 0`,
    `ALTER TABLE invoice ADD COLUMN tax INTEGER NOT NULL DEFAULT 0`,
    // Each coupon redemption this subscription applied ('applied') or, asked by the coupon
    // before it did, gave up ('abandoned': it may never apply it after).
    `CREATE TABLE redemption (key TEXT PRIMARY KEY, outcome TEXT NOT NULL) WITHOUT ROWID`,
  ],
  // v11: no payment left in limbo: a refund's tries and, once given up on, the gateway's reason;
  // a pending attempt past the reconcile window flagged for an operator.
  [
    `ALTER TABLE payment ADD COLUMN refund_tries INTEGER NOT NULL DEFAULT 0`,
    `ALTER TABLE payment ADD COLUMN refund_failure_code TEXT`,
    `ALTER TABLE payment ADD COLUMN refund_failure_message TEXT`,
    // A payment still pending past the reconcile window, flagged for an operator (when).
    `ALTER TABLE payment ADD COLUMN attention_since INTEGER`,
  ],
  // v12: usage billing (docs/billing-rules.md rule 14, src/actors/subscription/usage.ts): the plan's charges with the
  // state, the customer's event log position counted so far, usage lines, and per usage window
  // (a period, or its part before or after a plan change) the aggregate per meter.
  [
    `ALTER TABLE subscription ADD COLUMN charges TEXT NOT NULL DEFAULT '[]'`,
    `ALTER TABLE subscription ADD COLUMN usage_seq INTEGER NOT NULL DEFAULT 0`,
    `ALTER TABLE invoice_line ADD COLUMN usage TEXT`,
    `ALTER TABLE pending_line ADD COLUMN usage TEXT`,
    ...USAGE_TABLES,
  ],
  // v13: a lower bound on the ids of the open and draft invoices, kept with the state, so a
  // renewal reads its open invoices from there instead of scanning the whole history (issue 21).
  [`ALTER TABLE subscription ADD COLUMN open_from TEXT`],
  // v14: fewer rows written per renewal (issue 21). Payments are keyed by their invoice
  // (WITHOUT ROWID, primary key (invoice_id, id)), so the `payment_by_invoice` index and its row
  // per insert go; a pending card attempt's reconcile is its own column `reconcile_at` instead
  // of a `reconcile_payment` job row inserted then deleted (each job becomes the column of its
  // invoice's pending card payments); `open_from` stays at or below every invoice with a
  // payment to reconcile, so the alarm finds them from there (a NULL bound reads them all).
  [
    `CREATE TABLE payment_v14 (
       invoice_id TEXT NOT NULL, id TEXT NOT NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL,
       status TEXT NOT NULL, method TEXT NOT NULL, failure_code TEXT, failure_message TEXT,
       attempt INTEGER NOT NULL, reference TEXT, gateway_key TEXT, gateway_reference TEXT,
       created INTEGER NOT NULL, payment_method TEXT, gateway_customer TEXT,
       on_request INTEGER NOT NULL DEFAULT 0, refund_reference TEXT, refund_tries INTEGER NOT NULL DEFAULT 0,
       refund_failure_code TEXT, refund_failure_message TEXT, attention_since INTEGER, reconcile_at INTEGER,
       PRIMARY KEY (invoice_id, id)) WITHOUT ROWID`,
    `INSERT INTO payment_v14 SELECT p.invoice_id, p.id, p.amount, p.currency, p.status, p.method, p.failure_code,
       p.failure_message, p.attempt, p.reference, p.gateway_key, p.gateway_reference, p.created, p.payment_method,
       p.gateway_customer, p.on_request, p.refund_reference, p.refund_tries, p.refund_failure_code,
       p.refund_failure_message, p.attention_since,
       CASE WHEN p.status = 'pending' AND p.method = 'card' AND p.attention_since IS NULL
         THEN (SELECT j.due_at FROM job j WHERE j.kind = 'reconcile_payment' AND j.invoice_id = p.invoice_id) END
       FROM payment p`,
    `DROP TABLE payment`,
    `ALTER TABLE payment_v14 RENAME TO payment`,
    `DELETE FROM job WHERE kind = 'reconcile_payment'`,
    `UPDATE subscription SET open_from = CASE WHEN open_from IS NULL THEN NULL ELSE
       (SELECT MIN(x) FROM (SELECT subscription.open_from AS x
          UNION ALL SELECT invoice_id FROM payment WHERE reconcile_at IS NOT NULL)) END`,
  ],
  // v15: the subscription row keyed by its id WITHOUT ROWID: a create writes it as one b-tree
  // entry, not a row and its primary key's index (issue 21: 2 rows fewer per create, one of
  // them the new object's schema). NOTE: a column added by an earlier migration must be in both
  // lists here.
  [
    `CREATE TABLE subscription_v15 (
       id TEXT PRIMARY KEY, customer TEXT NOT NULL,
       plan_id TEXT NOT NULL, plan_name TEXT NOT NULL, currency TEXT NOT NULL, amount INTEGER NOT NULL,
       interval TEXT NOT NULL, interval_count INTEGER NOT NULL, trial_days INTEGER NOT NULL,
       quantity INTEGER NOT NULL, status TEXT NOT NULL, anchor INTEGER NOT NULL,
       current_period_start INTEGER NOT NULL, current_period_end INTEGER NOT NULL,
       trial_start INTEGER, trial_end INTEGER, cancel_at_period_end INTEGER NOT NULL,
       canceled_at INTEGER, ended_at INTEGER, credit_balance INTEGER NOT NULL,
       latest_invoice TEXT, test_clock TEXT, metadata TEXT NOT NULL, created INTEGER NOT NULL,
       version INTEGER NOT NULL, invoice_seq INTEGER NOT NULL, last_id_ms INTEGER NOT NULL, clock_time INTEGER,
       payment_method TEXT, gateway_customer TEXT, payment_details_version INTEGER,
       pause_behavior TEXT, pause_resumes_at INTEGER, discount TEXT, tax_rates TEXT NOT NULL DEFAULT '[]',
       period_discount TEXT, charges TEXT NOT NULL DEFAULT '[]', usage_seq INTEGER NOT NULL DEFAULT 0, open_from TEXT) WITHOUT ROWID`,
    `INSERT INTO subscription_v15 (
       id, customer, plan_id, plan_name, currency, amount, interval, interval_count, trial_days, quantity, status, anchor,
       current_period_start, current_period_end, trial_start, trial_end, cancel_at_period_end, canceled_at, ended_at,
       credit_balance, latest_invoice, test_clock, metadata, created, version, invoice_seq, last_id_ms, clock_time,
       payment_method, gateway_customer, payment_details_version, pause_behavior, pause_resumes_at, discount, tax_rates,
       period_discount, charges, usage_seq, open_from)
     SELECT
       id, customer, plan_id, plan_name, currency, amount, interval, interval_count, trial_days, quantity, status, anchor,
       current_period_start, current_period_end, trial_start, trial_end, cancel_at_period_end, canceled_at, ended_at,
       credit_balance, latest_invoice, test_clock, metadata, created, version, invoice_seq, last_id_ms, clock_time,
       payment_method, gateway_customer, payment_details_version, pause_behavior, pause_resumes_at, discount, tax_rates,
       period_discount, charges, usage_seq, open_from
     FROM subscription`,
    `DROP TABLE subscription`,
    `ALTER TABLE subscription_v15 RENAME TO subscription`,
  ],
  // v16: what the read model was last given (src/admin/mirror-state.ts) moves from the
  // `_admin_mirror` table into the subscription row, as JSON: a new object makes one table
  // fewer (2 rows per create), and a save is still one row written. The table is made first
  // where it was never made (a subscription not mirrored yet), so the copy always has a source.
  [
    `ALTER TABLE subscription ADD COLUMN mirror TEXT`,
    `CREATE TABLE IF NOT EXISTS _admin_mirror (
       id INTEGER PRIMARY KEY CHECK (id = 1), keys TEXT NOT NULL, kv_version INTEGER NOT NULL,
       written_ms INTEGER NOT NULL, metrics_version INTEGER NOT NULL, metrics TEXT NOT NULL, version INTEGER NOT NULL)`,
    `UPDATE subscription SET mirror = (SELECT json_object('keys', json(keys), 'kvVersion', kv_version,
       'writtenMs', written_ms, 'metricsVersion', metrics_version, 'metrics', metrics) FROM _admin_mirror)`,
    `DROP TABLE _admin_mirror`,
  ],
  // v17: the `invoice_upcoming` job is derived from the state (src/domain/upcoming.ts
  // `upcomingDueAt`), no row: two rows fewer per monthly renewal (its upsert and its delete).
  [`DELETE FROM job WHERE kind = 'invoice_upcoming'`],
];

/**
 * The schema the migrations above lead to, created in one step by a new subscription (see
 * `Actor.freshSchema`), but for the tables made on demand (below): with those, it equals the
 * migrated one (test/billing/schema.test.ts). Change it together with every new migration.
 */
export const SUBSCRIPTION_SCHEMA: readonly string[] = [
  `CREATE TABLE subscription (
     id TEXT PRIMARY KEY, customer TEXT NOT NULL,
     plan_id TEXT NOT NULL, plan_name TEXT NOT NULL, currency TEXT NOT NULL, amount INTEGER NOT NULL,
     interval TEXT NOT NULL, interval_count INTEGER NOT NULL, trial_days INTEGER NOT NULL,
     quantity INTEGER NOT NULL, status TEXT NOT NULL, anchor INTEGER NOT NULL,
     current_period_start INTEGER NOT NULL, current_period_end INTEGER NOT NULL,
     trial_start INTEGER, trial_end INTEGER, cancel_at_period_end INTEGER NOT NULL,
     canceled_at INTEGER, ended_at INTEGER, credit_balance INTEGER NOT NULL,
     latest_invoice TEXT, test_clock TEXT, metadata TEXT NOT NULL, created INTEGER NOT NULL,
     version INTEGER NOT NULL, invoice_seq INTEGER NOT NULL, last_id_ms INTEGER NOT NULL, clock_time INTEGER,
     payment_method TEXT, gateway_customer TEXT, payment_details_version INTEGER,
     pause_behavior TEXT, pause_resumes_at INTEGER, discount TEXT, tax_rates TEXT NOT NULL DEFAULT '[]',
     period_discount TEXT, charges TEXT NOT NULL DEFAULT '[]', usage_seq INTEGER NOT NULL DEFAULT 0, open_from TEXT,
     mirror TEXT) WITHOUT ROWID`,
  `CREATE TABLE invoice (
     id TEXT PRIMARY KEY, number TEXT, status TEXT NOT NULL, currency TEXT NOT NULL,
     subtotal INTEGER NOT NULL, total INTEGER NOT NULL, credit_applied INTEGER NOT NULL,
     amount_due INTEGER NOT NULL, amount_paid INTEGER NOT NULL, attempt_count INTEGER NOT NULL,
     next_payment_attempt INTEGER, period_start INTEGER NOT NULL, period_end INTEGER NOT NULL,
     billing_reason TEXT NOT NULL, created INTEGER NOT NULL, finalized_at INTEGER, paid_at INTEGER,
     voided_at INTEGER, page_token TEXT, total_discount INTEGER NOT NULL DEFAULT 0,
     tax INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID`,
  `CREATE TABLE invoice_line (
     invoice_id TEXT NOT NULL, position INTEGER NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL,
     description TEXT NOT NULL, amount INTEGER NOT NULL, quantity INTEGER NOT NULL, plan TEXT,
     period_start INTEGER NOT NULL, period_end INTEGER NOT NULL, discounts TEXT, taxes TEXT, usage TEXT,
     PRIMARY KEY (invoice_id, position)) WITHOUT ROWID`,
  `CREATE TABLE job (
     kind TEXT NOT NULL, invoice_id TEXT NOT NULL DEFAULT '', due_at INTEGER NOT NULL,
     PRIMARY KEY (kind, invoice_id)) WITHOUT ROWID`,
  `CREATE TABLE payment (
     invoice_id TEXT NOT NULL, id TEXT NOT NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL,
     status TEXT NOT NULL, method TEXT NOT NULL, failure_code TEXT, failure_message TEXT,
     attempt INTEGER NOT NULL, reference TEXT, gateway_key TEXT, gateway_reference TEXT,
     created INTEGER NOT NULL, payment_method TEXT, gateway_customer TEXT,
     on_request INTEGER NOT NULL DEFAULT 0, refund_reference TEXT, refund_tries INTEGER NOT NULL DEFAULT 0,
     refund_failure_code TEXT, refund_failure_message TEXT, attention_since INTEGER, reconcile_at INTEGER,
     PRIMARY KEY (invoice_id, id)) WITHOUT ROWID`,
  `CREATE TABLE event_batch (seq INTEGER PRIMARY KEY, created INTEGER NOT NULL, events TEXT NOT NULL)`,
];

/**
 * Tables a new subscription makes only when it first writes to them (`queryOnDemand`): a
 * subscription with no proration or invoice item, no coupon and no metered charge never needs
 * them, and each table made costs rows written (issue 21: 11 of a create's 51). Their final
 * shape, here and nowhere else. A subscription migrated from an older version has them (the
 * migrations above made them). NOTE: a later migration that changes one of them must work
 * whether or not the table exists yet (an ALTER of a table not made yet fails): change the
 * DDL here and rebuild only where it exists, or make the change a new table on demand.
 */
export const PENDING_LINE_TABLE: TableOnDemand = {
  name: "pending_line",
  create: [
    `CREATE TABLE pending_line (
       id TEXT PRIMARY KEY, seq INTEGER NOT NULL, type TEXT NOT NULL, description TEXT NOT NULL,
       amount INTEGER NOT NULL, quantity INTEGER NOT NULL, plan TEXT,
       period_start INTEGER NOT NULL, period_end INTEGER NOT NULL, carried_discount TEXT, usage TEXT)`,
  ],
};
export const REDEMPTION_TABLE: TableOnDemand = {
  name: "redemption",
  create: [`CREATE TABLE redemption (key TEXT PRIMARY KEY, outcome TEXT NOT NULL) WITHOUT ROWID`],
};
/** The three usage tables, made together by the first usage window (a metered plan's). */
export const USAGE_TABLES_ON_DEMAND: TableOnDemand = { name: "usage_window", create: USAGE_TABLES };
export const SUBSCRIPTION_TABLES_ON_DEMAND: readonly TableOnDemand[] = [
  PENDING_LINE_TABLE,
  REDEMPTION_TABLE,
  USAGE_TABLES_ON_DEMAND,
];
