import type { EmailProviderName, EmailSettings } from "./config";

interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** A provider that refused or could not be reached: the email is retried by its queue. */
export class EmailSendError extends Error {
  constructor(
    readonly provider: EmailProviderName,
    readonly status: number | null,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One way out for customer emails. `idempotencyKey` is stable per event (`<evt_…>:email`): a
 * provider that supports it (Resend) drops a second send under the same key.
 */
export interface EmailProvider {
  readonly name: EmailProviderName;
  /** Resolves with the provider's message id (null for `log`); throws EmailSendError. */
  send(email: OutgoingEmail, idempotencyKey: string): Promise<string | null>;
}

type Fetch = (input: string, init: RequestInit) => Promise<Response>;

const TIMEOUT_MS = 10_000;

export function emailProviderFor(
  settings: EmailSettings,
  fetcher: Fetch = (input, init) => fetch(input, init),
): EmailProvider {
  const post = async (name: EmailProviderName, url: string, init: RequestInit): Promise<Response> => {
    let response: Response;
    try {
      response = await fetcher(url, { ...init, method: "POST", signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (error) {
      throw new EmailSendError(name, null, `${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!response.ok) {
      const detail = (await response.text()).slice(0, 300);
      throw new EmailSendError(name, response.status, `${name} answered ${response.status}: ${detail}`);
    }
    return response;
  };
  const idOf = async (response: Response, field: string): Promise<string | null> => {
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    return typeof body[field] === "string" ? (body[field] as string) : null;
  };

  switch (settings.provider) {
    case "log":
      // The customer actor keeps every email it sends (GET /v1/admin/emails); nothing leaves.
      return { name: "log", send: async () => null };
    case "mailgun":
      return {
        name: "mailgun",
        async send(email) {
          const form = new URLSearchParams({
            from: email.from,
            to: email.to,
            subject: email.subject,
            text: email.text,
            html: email.html,
          });
          const response = await post(
            "mailgun",
            `${settings.base}/v3/${encodeURIComponent(settings.domain)}/messages`,
            {
              headers: {
                Authorization: `Basic ${btoa(`api:${settings.apiKey}`)}`,
                "Content-Type": "application/x-www-form-urlencoded",
              },
              body: form.toString(),
            },
          );
          return idOf(response, "id");
        },
      };
    case "sendgrid":
      return {
        name: "sendgrid",
        async send(email) {
          const response = await post("sendgrid", `${settings.base}/v3/mail/send`, {
            headers: { Authorization: `Bearer ${settings.apiKey}`, "Content-Type": "application/json" },
            body: JSON.stringify({
              personalizations: [{ to: [{ email: email.to }] }],
              from: addressOf(email.from),
              subject: email.subject,
              // SendGrid requires text/plain before text/html.
              content: [
                { type: "text/plain", value: email.text },
                { type: "text/html", value: email.html },
              ],
            }),
          });
          return response.headers.get("X-Message-Id");
        },
      };
    case "resend":
      return {
        name: "resend",
        async send(email, idempotencyKey) {
          const response = await post("resend", `${settings.base}/emails`, {
            headers: {
              Authorization: `Bearer ${settings.apiKey}`,
              "Content-Type": "application/json",
              "Idempotency-Key": idempotencyKey,
            },
            body: JSON.stringify({
              from: email.from,
              to: [email.to],
              subject: email.subject,
              html: email.html,
              text: email.text,
            }),
          });
          return idOf(response, "id");
        },
      };
  }
}

/** `Billing <billing@example.com>` → SendGrid's `{email, name}`. */
function addressOf(from: string): { email: string; name?: string } {
  const match = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(from);
  if (!match) return { email: from.trim() };
  const name = match[1]!.replace(/^"|"$/g, "");
  return name ? { email: match[2]!, name } : { email: match[2]! };
}
