import type { PlatformEnv } from "../../lib/env";
import { invertedMs } from "../../lib/kv-keys";

/** One email as `GET /v1/admin/emails` lists it (docs/billing-rules.md, Endpoints), newest first. */
export interface EmailView {
  object: "email";
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The id of the event it was sent for. */
  event: string;
  event_type: string;
  customer: string;
  provider: string;
  /** `sent`, or `failed` once its retries ran out (dead-lettered). */
  status: "sent" | "failed";
  error: string | null;
  created: string;
}

export const EMAIL_LOG_PREFIX = "emails/";

/** Newest first in KV's lexicographic listing: the time inverted, then the event id. */
function emailLogKey(sentMs: number, eventId: string): string {
  return `${EMAIL_LOG_PREFIX}${invertedMs(sentMs, 13)}/${eventId}`;
}

export async function logEmail(env: Pick<PlatformEnv, "BILLIFY_KV">, sentMs: number, email: EmailView): Promise<void> {
  await env.BILLIFY_KV.put(emailLogKey(sentMs, email.event), JSON.stringify(email));
}
