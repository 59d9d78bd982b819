import { createExecutionContext, createMessageBatch, getQueueResult, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { CustomerActor } from "../../src/actors/customer/customer-actor";
import type { Env } from "../../src/actors/env";
import { customerStub } from "../../src/actors/stubs";
import type { EmailMessage, EventEnvelope, PlanSummary } from "../../src/contract/messages";
import { parseEmailSettings } from "../../src/notifications/email/config";
import { formatAmount, formatDate } from "../../src/notifications/email/format";
import { emailProviderFor } from "../../src/notifications/email/providers";
import { renderEmail } from "../../src/notifications/email/templates";
import { handleQueue } from "../../src/queues/consumer";
import { ADMIN_KEY, api, createCustomer, ok, subscribeOnClock } from "../helpers";
import { eventually, received, receiverBase, script, uniquePath } from "./receiver";

const MONTHLY: PlanSummary = {
  id: "pro",
  name: "Pro",
  currency: "usd",
  amount: 2000,
  interval: "month",
  interval_count: 1,
};
const YEARLY: PlanSummary = { ...MONTHLY, id: "pro-yearly", name: "Pro (yearly)", amount: 24000, interval: "year" };

function invoice(fields: Record<string, unknown> = {}) {
  return {
    id: "in_01KTEST",
    object: "invoice",
    number: "ABCD1234-0002",
    currency: "usd",
    lines: [
      {
        description: "Pro × 1",
        amount: 2000,
        quantity: 1,
        period_start: "2026-02-28T10:00:00Z",
        period_end: "2026-03-31T10:00:00Z",
      },
      {
        description: "Unused time on Basic after 2026-02-10",
        amount: -350,
        quantity: 1,
        period_start: "2026-02-10T00:00:00Z",
        period_end: "2026-02-28T10:00:00Z",
      },
    ],
    subtotal: 1650,
    total: 1650,
    credit_applied: 0,
    amount_due: 1650,
    amount_paid: 0,
    amount_remaining: 1650,
    next_payment_attempt: "2026-03-01T10:00:00Z",
    period_start: "2026-02-28T10:00:00Z",
    period_end: "2026-03-31T10:00:00Z",
    ...fields,
  };
}

function envelope(
  type: string,
  object: Record<string, unknown>,
  id = `evt_01KMAIL${Math.random().toString(36).slice(2, 12).toUpperCase()}`,
): EventEnvelope {
  return { id, object: "event", type, created: "2026-02-28T10:00:00Z", data: { object } };
}

async function adminEmails(): Promise<
  { event: string; to: string; subject: string; text: string; html: string; status: string; event_type: string }[]
> {
  return (await ok("GET", "/v1/admin/emails?limit=100", undefined, { key: ADMIN_KEY })).data;
}

async function sendEmailBatch(messages: EmailMessage[], attempts = 1) {
  const batch = createMessageBatch<EmailMessage>(
    "billify-emails",
    messages.map((body, i) => ({ id: `m${i}`, timestamp: Date.now(), attempts, body })),
  );
  await handleQueue(batch as MessageBatch<unknown>, env);
  return getQueueResult(batch, createExecutionContext());
}

/** Points one customer's actor at Resend on the fake receiver (the test bindings choose `log`). */
async function useResend(customerId: string): Promise<string> {
  const base = `${receiverBase()}${uniquePath("/resend")}`;
  const settings = parseEmailSettings({
    BILLIFY_EMAIL_PROVIDER: "resend",
    RESEND_API_KEY: "re_key",
    RESEND_API_BASE: base,
  } as unknown as Env);
  await runInDurableObject(customerStub(env, customerId)!, (instance: CustomerActor) => {
    instance.emailProvider = emailProviderFor(settings);
  });
  return `${new URL(base).pathname}/emails`;
}

describe("amounts and dates as the customer reads them", () => {
  it("formats minor units by the currency's exponent, exactly", () => {
    expect(formatAmount(2000, "usd")).toBe("$20.00");
    expect(formatAmount(123_456_789, "eur")).toBe("€1,234,567.89");
    expect(formatAmount(-350, "usd")).toBe("-$3.50");
    expect(formatAmount(1500, "jpy")).toBe("¥1,500");
    expect(formatAmount(1234, "kwd")).toBe("KWD\u00a01.234");
    expect(formatAmount(5, "usd")).toBe("$0.05");
    expect(formatAmount(9_007_199_254_740_991, "usd")).toBe("$90,071,992,547,409.91");
    expect(formatDate("2026-02-28T23:59:59Z")).toBe("February 28, 2026");
  });
});

describe("email templates", () => {
  it("shows a failed payment's lines, amounts, and the next attempt date, in text and HTML", () => {
    const email = renderEmail({
      event: envelope("invoice.payment_failed", invoice()),
      plan: MONTHLY,
      customerName: "Ada <Lovelace>",
    })!;
    expect(email.subject).toBe("Payment failed for invoice ABCD1234-0002 ($16.50)");
    expect(email.text).toContain("Hello Ada <Lovelace>,");
    expect(email.text).toContain("We could not collect $16.50 for invoice ABCD1234-0002 (Pro).");
    expect(email.text).toContain("We will try again on March 1, 2026.");
    expect(email.text).toContain(
      "Invoice ABCD1234-0002 — period February 28, 2026 to March 31, 2026\n  Pro × 1  $20.00\n  Unused time on Basic after 2026-02-10  -$3.50\n  Subtotal: $16.50\n  Amount due: $16.50\n",
    );
    expect(email.text).toContain("Amount due: $16.50");
    expect(email.html).toContain("Hello Ada &lt;Lovelace&gt;,");
    expect(email.html).toContain("We will try again on March 1, 2026.");
    expect(email.html).toContain(">-$3.50</td>");
    expect(email.html).toMatch(/^<!doctype html>/);
  });

  it("shows each discount and each tax of the invoice, formatted for its currency, then the total", () => {
    const email = renderEmail({
      event: envelope(
        "invoice.finalized",
        invoice({
          currency: "eur",
          total_discount_amounts: [{ coupon: "spring-25", amount: 413 }],
          total_tax_amounts: [
            { tax_rate: "txr_1", inclusive: false, amount: 247, display_name: "VAT 20%" },
            { tax_rate: "txr_2", inclusive: true, amount: 112, display_name: null },
          ],
          total: 1484,
          amount_due: 1484,
        }),
      ),
      plan: MONTHLY,
      customerName: null,
    })!;
    expect(email.text).toContain(
      "  Subtotal: €16.50\n  Discount (spring-25): -€4.13\n  VAT 20%: €2.47\n  Tax txr_2 (included): €1.12\n  Total: €14.84\n  Amount due: €14.84\n",
    );
    expect(email.html).toContain(">Discount (spring-25)</td>");
    expect(email.html).toContain(">-€4.13</td>");
  });

  it("says a failed payment will not be retried when there is no next attempt", () => {
    const email = renderEmail({
      event: envelope("invoice.payment_failed", invoice({ next_payment_attempt: null })),
      plan: MONTHLY,
      customerName: null,
    })!;
    expect(email.text).toContain("We will not retry automatically.");
    expect(email.text.startsWith("Hello,\n")).toBe(true);
  });

  it("sends invoice.finalized only when something is owed, and invoice.upcoming only for yearly plans", () => {
    expect(
      renderEmail({
        event: envelope("invoice.finalized", invoice({ amount_due: 0 })),
        plan: MONTHLY,
        customerName: null,
      }),
    ).toBeNull();
    expect(
      renderEmail({ event: envelope("invoice.finalized", invoice()), plan: MONTHLY, customerName: null })!.subject,
    ).toBe("Your invoice ABCD1234-0002 for $16.50");
    expect(
      renderEmail({
        event: envelope("invoice.upcoming", invoice({ number: undefined })),
        plan: MONTHLY,
        customerName: null,
      }),
    ).toBeNull();
    const reminder = renderEmail({
      event: envelope("invoice.upcoming", invoice({ number: undefined, amount_due: 24000 })),
      plan: YEARLY,
      customerName: null,
    })!;
    expect(reminder.subject).toBe("Your Pro (yearly) subscription renews on February 28, 2026");
    expect(reminder.text).toContain("renews automatically on February 28, 2026, and $240.00 will be charged");
    expect(
      renderEmail({ event: envelope("invoice.created", invoice()), plan: MONTHLY, customerName: null }),
    ).toBeNull();
    expect(renderEmail({ event: envelope("payment.succeeded", {}), plan: MONTHLY, customerName: null })).toBeNull();
  });

  it("writes trial-ending and canceled notices", () => {
    const sub = {
      id: "sub_1",
      status: "trialing",
      trial_end: "2026-03-15T00:00:00Z",
      current_period_end: "2026-03-15T00:00:00Z",
      ended_at: null,
    };
    const trial = renderEmail({
      event: envelope("subscription.trial_will_end", sub),
      plan: MONTHLY,
      customerName: "Ada",
    })!;
    expect(trial.subject).toBe("Your trial of Pro ends on March 15, 2026");
    expect(trial.text).toContain("Your subscription then continues at $20.00 per month.");
    const canceled = renderEmail({
      event: envelope("subscription.canceled", { ...sub, status: "canceled", ended_at: "2026-04-01T00:00:00Z" }),
      plan: MONTHLY,
      customerName: "Ada",
    })!;
    expect(canceled.text).toContain("Your Pro subscription was canceled on April 1, 2026.");
  });
});

describe("customer emails through the queue", { timeout: 30_000 }, () => {
  it("keeps the emails of a new subscription for GET /v1/admin/emails (log provider), admin key only", async () => {
    const { customer } = await subscribeOnClock(
      "2026-01-31T10:00:00Z",
      { amount: 2000 },
      {},
      { email: "grace@example.com", name: "Grace" },
    );
    const mine = () => adminEmails().then((all) => all.filter((e) => e.to === "grace@example.com"));
    const emails = await eventually(mine, (list) => list.length >= 2);
    expect(emails.map((e) => e.event_type).sort()).toEqual(["invoice.finalized", "invoice.paid"]);
    const paid = emails.find((e) => e.event_type === "invoice.paid")!;
    expect(paid).toMatchObject({
      status: "sent",
      subject: expect.stringMatching(/^Receipt for invoice [0-9A-Z]{8}-0001: \$20\.00 paid$/),
    });
    expect(paid.text).toContain("Hello Grace,");
    expect(paid.text).toContain("Amount paid: $20.00");
    expect(customer.email).toBe("grace@example.com");
    const forbidden = await api("GET", "/v1/admin/emails");
    expect(forbidden.status).toBe(403);
  });

  it("sends no second email when the queue redelivers (same batch twice, and a duplicate inside one batch)", async () => {
    const customer = await createCustomer({ email: "linus@example.com", name: "Linus" });
    const path = await useResend(customer.id);
    const message: EmailMessage = {
      kind: "email",
      customer: customer.id,
      event: envelope("invoice.paid", invoice({ amount_paid: 1650, amount_remaining: 0 })),
      plan: MONTHLY,
    };
    // Delivered twice in one batch: one sends, the other finds the send in progress and waits.
    const first = await sendEmailBatch([message, message]);
    expect(first.explicitAcks).toHaveLength(1);
    expect(first.retryMessages).toHaveLength(1);
    // Redelivered twice more: already sent, acked, nothing sent.
    const again = await sendEmailBatch([message, message], 2);
    expect([...again.explicitAcks].sort()).toEqual(["m0", "m1"]);
    const third = await sendEmailBatch([message], 3);
    expect(third.explicitAcks).toEqual(["m0"]);
    const requests = await received(path);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.headers["idempotency-key"]).toBe(`${message.event.id}:email`);
    expect(JSON.parse(requests[0]!.body)).toMatchObject({
      to: ["linus@example.com"],
      subject: "Receipt for invoice ABCD1234-0002: $16.50 paid",
    });
    expect((await adminEmails()).filter((e) => e.event === message.event.id)).toHaveLength(1);
  });

  it("retries an email the provider refused, then sends it once; one whose retries run out shows as failed", async () => {
    const customer = await createCustomer({ email: "barbara@example.com" });
    const path = await useResend(customer.id);
    await script(path, [{ status: 500, body: '{"message":"boom"}' }]);
    const message: EmailMessage = {
      kind: "email",
      customer: customer.id,
      event: envelope("invoice.payment_failed", invoice()),
      plan: MONTHLY,
    };
    const refused = await sendEmailBatch([message]);
    expect(refused.retryMessages.map((m) => m.msgId)).toEqual(["m0"]);
    expect((await adminEmails()).filter((e) => e.event === message.event.id)).toEqual([]);
    const retried = await sendEmailBatch([message], 2);
    expect(retried.explicitAcks).toEqual(["m0"]);
    expect(await received(path)).toHaveLength(2);
    expect((await adminEmails()).filter((e) => e.event === message.event.id).map((e) => e.status)).toEqual(["sent"]);

    // Another event whose provider keeps failing: after the queue's retries it is dead-lettered.
    await script(path, [{ status: 503 }]);
    const doomed: EmailMessage = { ...message, event: envelope("invoice.payment_failed", invoice()) };
    expect((await sendEmailBatch([doomed], 25)).retryMessages).toHaveLength(1);
    const dead = createMessageBatch<EmailMessage>("billify-dead-letters", [
      { id: "dl-1", timestamp: Date.now(), attempts: 25, body: doomed },
    ]);
    await handleQueue(dead as MessageBatch<unknown>, env);
    expect((await getQueueResult(dead, createExecutionContext())).explicitAcks).toEqual(["dl-1"]);
    const shown = (await adminEmails()).filter((e) => e.event === doomed.event.id);
    expect(shown).toEqual([
      expect.objectContaining({
        status: "failed",
        to: "barbara@example.com",
        error: expect.stringContaining("resend answered 503"),
      }),
    ]);
    const letters = await ok("GET", "/v1/admin/dead_letters", undefined, { key: ADMIN_KEY });
    expect(letters.data).toContainEqual(
      expect.objectContaining({ kind: "email", event: doomed.event.id, customer: customer.id, attempts: 25 }),
    );
  });
});
