import { describe, expect, it } from "vitest";
import type { Env } from "../../src/actors/env";
import { parseEmailSettings, parseUpcomingDays } from "../../src/notifications/email/config";
import { EmailSendError, emailProviderFor } from "../../src/notifications/email/providers";
import { received, receiverBase, script, uniquePath } from "./receiver";

const EMAIL = {
  from: "Billing <billing@example.com>",
  to: "ada@example.com",
  subject: "Receipt for invoice ABCD-0001: $20.00 paid",
  text: "Hello Ada,\n\nThank you.",
  html: "<p>Hello Ada,</p><p>Thank you.</p>",
};

function settings(vars: Record<string, string>) {
  return parseEmailSettings(vars as unknown as Env);
}

describe("email providers, each against a local fake of its HTTP API", () => {
  it("mailgun: POST {base}/v3/{domain}/messages, Basic api:<key>, form fields from/to/subject/text/html", async () => {
    const base = `${receiverBase()}${uniquePath("/mailgun")}`;
    await script(`${new URL(base).pathname}/v3/mg.example.com/messages`, [
      { status: 200, body: '{"id":"<20261129.1@mg.example.com>","message":"Queued. Thank you."}' },
    ]);
    const provider = emailProviderFor(
      settings({
        BILLIFY_EMAIL_PROVIDER: "mailgun",
        MAILGUN_API_KEY: "key-123",
        MAILGUN_DOMAIN: "mg.example.com",
        MAILGUN_API_BASE: base,
      }),
    );
    expect(await provider.send(EMAIL, "evt_1:email")).toBe("<20261129.1@mg.example.com>");
    const [request, ...rest] = await received(`${new URL(base).pathname}/v3/mg.example.com/messages`);
    expect(rest).toEqual([]);
    expect(request!.method).toBe("POST");
    expect(request!.headers.authorization).toBe(`Basic ${btoa("api:key-123")}`);
    expect(request!.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(request!.body))).toEqual(EMAIL);
  });

  it("sendgrid: POST {base}/v3/mail/send, Bearer key, JSON personalizations/from/subject/content (text first)", async () => {
    const base = `${receiverBase()}${uniquePath("/sendgrid")}`;
    const path = `${new URL(base).pathname}/v3/mail/send`;
    await script(path, [{ status: 202, body: "", headers: { "X-Message-Id": "sg-42" } }]);
    const provider = emailProviderFor(
      settings({ BILLIFY_EMAIL_PROVIDER: "sendgrid", SENDGRID_API_KEY: "SG.secret", SENDGRID_API_BASE: base }),
    );
    expect(await provider.send(EMAIL, "evt_1:email")).toBe("sg-42");
    const [request] = await received(path);
    expect(request!.method).toBe("POST");
    expect(request!.headers.authorization).toBe("Bearer SG.secret");
    expect(request!.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request!.body)).toEqual({
      personalizations: [{ to: [{ email: "ada@example.com" }] }],
      from: { email: "billing@example.com", name: "Billing" },
      subject: EMAIL.subject,
      content: [
        { type: "text/plain", value: EMAIL.text },
        { type: "text/html", value: EMAIL.html },
      ],
    });
  });

  it("resend: POST {base}/emails, Bearer key, Idempotency-Key per event, JSON from/to/subject/html/text", async () => {
    const base = `${receiverBase()}${uniquePath("/resend")}`;
    const path = `${new URL(base).pathname}/emails`;
    await script(path, [{ status: 200, body: '{"id":"re_123"}' }]);
    const provider = emailProviderFor(
      settings({ BILLIFY_EMAIL_PROVIDER: "resend", RESEND_API_KEY: "re_key", RESEND_API_BASE: base }),
    );
    expect(await provider.send(EMAIL, "evt_01KXYZ:email")).toBe("re_123");
    const [request] = await received(path);
    expect(request!.method).toBe("POST");
    expect(request!.headers.authorization).toBe("Bearer re_key");
    expect(request!.headers["idempotency-key"]).toBe("evt_01KXYZ:email");
    expect(JSON.parse(request!.body)).toEqual({
      from: EMAIL.from,
      to: ["ada@example.com"],
      subject: EMAIL.subject,
      html: EMAIL.html,
      text: EMAIL.text,
    });
  });

  it("turns a refusal or an unreachable provider into an EmailSendError (the queue retries)", async () => {
    const base = `${receiverBase()}${uniquePath("/resend")}`;
    await script(`${new URL(base).pathname}/emails`, [{ status: 429, body: '{"message":"Too many requests"}' }]);
    const provider = emailProviderFor(
      settings({ BILLIFY_EMAIL_PROVIDER: "resend", RESEND_API_KEY: "re_key", RESEND_API_BASE: base }),
    );
    const refused = await provider.send(EMAIL, "k").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(EmailSendError);
    expect(refused).toMatchObject({ provider: "resend", status: 429 });
    // Unreachable (workerd logs a refused connection loudly, so the network failure is injected).
    const down = emailProviderFor(settings({ BILLIFY_EMAIL_PROVIDER: "sendgrid", SENDGRID_API_KEY: "k" }), async () => {
      throw new TypeError("Network connection lost.");
    });
    expect(await down.send(EMAIL, "k").catch((e: unknown) => e)).toMatchObject({ provider: "sendgrid", status: null });
  });

  it("is chosen by BILLIFY_EMAIL_PROVIDER (log by default) and fails at startup naming a missing variable", () => {
    expect(settings({}).provider).toBe("log");
    expect(() => settings({ BILLIFY_EMAIL_PROVIDER: "mailgun", MAILGUN_API_KEY: "k" })).toThrow(
      "BILLIFY_EMAIL_PROVIDER=mailgun needs MAILGUN_DOMAIN",
    );
    expect(() => settings({ BILLIFY_EMAIL_PROVIDER: "postmark" })).toThrow(
      'BILLIFY_EMAIL_PROVIDER must be one of log, mailgun, sendgrid, resend; got "postmark"',
    );
    expect(() =>
      settings({ BILLIFY_EMAIL_PROVIDER: "resend", RESEND_API_KEY: "k", RESEND_API_BASE: "ftp://x" }),
    ).toThrow("RESEND_API_BASE must be an http(s) URL");
    expect(settings({ BILLIFY_EMAIL_PROVIDER: "sendgrid", SENDGRID_API_KEY: "k" })).toMatchObject({
      base: "https://api.sendgrid.com",
    });
    expect([parseUpcomingDays(undefined), parseUpcomingDays("0"), parseUpcomingDays("30")]).toEqual([7, 0, 30]);
    expect(() => parseUpcomingDays("7d")).toThrow("BILLIFY_UPCOMING_DAYS must be whole days from 0 to 365");
  });
});
