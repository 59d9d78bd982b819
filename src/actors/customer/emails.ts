import type { Customer } from "../../contract/customer";
import type { EmailMessage } from "../../contract/messages";
import { toIso } from "../../domain/time";
import type { Query } from "../../lib/sql";
import { type EmailView, logEmail } from "../../notifications/email/log";
import type { EmailProvider } from "../../notifications/email/providers";
import { EmailSendError } from "../../notifications/email/providers";
import { renderEmail } from "../../notifications/email/templates";
import type { Env } from "../env";

/** A send that started this long ago and never finished (the actor died) may be tried again. */
const STALE_SEND_MS = 60_000;

export type EmailResult =
  | { status: "sent" | "duplicate" | "skipped" | "in_progress" }
  | { status: "failed"; error: string };

interface EmailRow {
  event_id: string;
  status: "sending" | "sent" | "failed" | "dead";
  to_address: string;
  subject: string;
  text: string;
  html: string;
  provider: string;
  error: string | null;
  attempts: number;
  updated_ms: number;
  logged: number;
}

/** The table as customer schema v2 made it (a migration's history: never edit). */
export const EMAIL_TABLE = `CREATE TABLE email (
  event_id TEXT PRIMARY KEY, event_type TEXT NOT NULL, status TEXT NOT NULL, to_address TEXT NOT NULL,
  subject TEXT NOT NULL, text TEXT NOT NULL, html TEXT NOT NULL, provider TEXT NOT NULL,
  provider_id TEXT, error TEXT, attempts INTEGER NOT NULL, updated_ms INTEGER NOT NULL,
  logged INTEGER NOT NULL DEFAULT 0)`;
/** Since v6: WITHOUT ROWID (one row written per email inserted, not two); made on demand. */
export const EMAIL_TABLE_V6 = `${EMAIL_TABLE} WITHOUT ROWID`;

/**
 * The customer's email for one event, sent at most once however often the queue redelivers:
 * the `email` row (keyed by event id) is claimed (`sending`) before the provider is called and
 * marked `sent` after. A redelivery finds `sent` and does nothing; a concurrent one finds a
 * fresh `sending` and waits. Only a crash between the provider's answer and the `sent` write can
 * send twice; Resend then drops the second under the same Idempotency-Key.
 */
export async function sendEventEmail(
  query: Query,
  env: Env,
  mail: { provider: EmailProvider; from: string },
  customer: Customer,
  message: EmailMessage,
  nowMs: number,
): Promise<EmailResult> {
  const { event } = message;
  const row = query<EmailRow>("SELECT * FROM email WHERE event_id = ?", event.id)[0];
  if (row?.status === "sent" || row?.status === "dead") {
    if (!row.logged) await writeLog(query, env, customer.id, event.type, row, nowMs);
    return { status: "duplicate" };
  }
  if (row?.status === "sending" && nowMs - row.updated_ms < STALE_SEND_MS) return { status: "in_progress" };
  if (!customer.email) return { status: "skipped" };
  const rendered = renderEmail({ event, plan: message.plan, customerName: customer.name });
  if (!rendered) return { status: "skipped" };
  query(
    `INSERT INTO email (event_id, event_type, status, to_address, subject, text, html, provider, attempts, updated_ms)
     VALUES (?, ?, 'sending', ?, ?, ?, ?, ?, 1, ?)
     ON CONFLICT(event_id) DO UPDATE SET status = 'sending', attempts = attempts + 1, updated_ms = excluded.updated_ms,
       to_address = excluded.to_address, subject = excluded.subject, text = excluded.text, html = excluded.html`,
    event.id,
    event.type,
    customer.email,
    rendered.subject,
    rendered.text,
    rendered.html,
    mail.provider.name,
    nowMs,
  );
  try {
    const providerId = await mail.provider.send(
      { from: mail.from, to: customer.email, ...rendered },
      `${event.id}:email`,
    );
    query(
      "UPDATE email SET status = 'sent', provider_id = ?, error = NULL, updated_ms = ? WHERE event_id = ?",
      providerId,
      nowMs,
      event.id,
    );
  } catch (error) {
    if (!(error instanceof EmailSendError)) throw error;
    query(
      "UPDATE email SET status = 'failed', error = ?, updated_ms = ? WHERE event_id = ?",
      error.message,
      nowMs,
      event.id,
    );
    return { status: "failed", error: error.message };
  }
  // The row as just written (not read back: its text and HTML are the email's largest part).
  const sent: EmailRow = {
    event_id: event.id,
    status: "sent",
    to_address: customer.email,
    ...rendered,
    provider: mail.provider.name,
    error: null,
    attempts: (row?.attempts ?? 0) + 1,
    updated_ms: nowMs,
    logged: 0,
  };
  await writeLog(query, env, customer.id, event.type, sent, nowMs);
  return { status: "sent" };
}

/** The queue gave up on this email (dead-lettered): it shows as `failed` in the admin list. */
export async function markEmailDead(
  query: Query,
  env: Env,
  customerId: string,
  message: EmailMessage,
  nowMs: number,
): Promise<void> {
  const row = query<EmailRow>("SELECT * FROM email WHERE event_id = ?", message.event.id)[0];
  if (!row || row.status === "sent" || row.status === "dead") return;
  query("UPDATE email SET status = 'dead', logged = 0 WHERE event_id = ?", message.event.id);
  await writeLog(query, env, customerId, message.event.type, { ...row, status: "dead" }, nowMs);
}

async function writeLog(
  query: Query,
  env: Env,
  customerId: string,
  eventType: string,
  row: EmailRow,
  nowMs: number,
): Promise<void> {
  const view: EmailView = {
    object: "email",
    to: row.to_address,
    subject: row.subject,
    text: row.text,
    html: row.html,
    event: row.event_id,
    event_type: eventType,
    customer: customerId,
    provider: row.provider,
    status: row.status === "dead" ? "failed" : "sent",
    error: row.error,
    created: toIso(Math.floor(nowMs / 1000)),
  };
  await logEmail(env, nowMs, view);
  query("UPDATE email SET logged = 1 WHERE event_id = ?", row.event_id);
}
