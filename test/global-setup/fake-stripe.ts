/**
 * A small fake of Stripe's PaymentIntents API on 127.0.0.1, started once by vitest (Node side)
 * and `provide`d to the tests in workerd as `inject("stripePort")`. Tests never reach the
 * internet. It mirrors what the gateway relies on:
 *
 * - `POST /v1/payment_intents` (form-encoded, Bearer sk_test_…) answers by `payment_method`:
 *   `pm_card_visa` → 200 succeeded; `pm_card_chargeDeclined` → 402 card_error `card_declined` /
 *   `generic_decline`; `pm_card_chargeDeclinedInsufficientFunds` → 402 `insufficient_funds`;
 *   `pm_card_processing` (fake only) → 200 processing; anything else → 400 resource_missing.
 * - `Idempotency-Key`: the first response is stored; the same key with the same body replays it
 *   (`Idempotent-Replayed: true`, no new charge); with another body → 400 idempotency_error.
 * - `GET /v1/payment_intents/:id` returns the intent as it is now.
 * - `GET /v1/payment_methods/:id`: 200 for `pm_card_…`, else 404 resource_missing.
 *
 * Test controls: `GET /__requests` (every request recorded, and the number of charges),
 * `POST /__reset`, `POST /__faults` `{"faults":[{"status":500,"after_charge":true},{"status":429}]}`
 * (consumed one per create: `after_charge` records the charge and its idempotent response, then
 * answers the status as if the response were lost), `POST /__intents/:id` `{"status":"succeeded"}`.
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    stripePort: number;
  }
}

export interface RecordedRequest {
  method: string;
  path: string;
  idempotencyKey: string | null;
  authorization: string | null;
  /** The form body as flat keys, exactly as sent: `metadata[billify_invoice]`, `allowed_payment_method_types[0]`. */
  form: Record<string, string>;
}

interface Fault {
  status: number;
  after_charge?: boolean;
}

type Json = Record<string, unknown>;
interface Stored {
  status: number;
  body: Json;
  fingerprint: string;
}

const DECLINES: Record<string, { decline_code: string; message: string }> = {
  pm_card_chargeDeclined: { decline_code: "generic_decline", message: "Your card was declined." },
  pm_card_chargeDeclinedInsufficientFunds: {
    decline_code: "insufficient_funds",
    message: "Your card has insufficient funds.",
  },
};

class FakeStripe {
  requests: RecordedRequest[] = [];
  charges = 0;
  refunds = 0;
  faults: Fault[] = [];
  intents = new Map<string, Json>();
  idempotent = new Map<string, Stored>();
  private sequence = 0;

  reset(): void {
    this.requests = [];
    this.charges = 0;
    this.refunds = 0;
    this.faults = [];
    this.intents.clear();
    this.idempotent.clear();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const raw = await readBody(req);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "Content-Type": "application/json", "Request-Id": `req_${++this.sequence}`, ...headers });
      res.end(JSON.stringify(body));
    };

    if (url.pathname === "/__requests")
      return send(200, { requests: this.requests, charges: this.charges, refunds: this.refunds });
    if (url.pathname === "/__reset") {
      this.reset();
      return send(200, { ok: true });
    }
    if (url.pathname === "/__faults") {
      this.faults.push(...((JSON.parse(raw) as { faults: Fault[] }).faults ?? []));
      return send(200, { ok: true });
    }
    const control = /^\/__intents\/([^/]+)$/.exec(url.pathname);
    if (control) {
      const intent = this.intents.get(control[1]!);
      if (!intent) return send(404, { error: "no such intent" });
      Object.assign(intent, JSON.parse(raw) as Json);
      return send(200, intent);
    }

    const form = Object.fromEntries(new URLSearchParams(raw));
    const idempotencyKey = header(req, "idempotency-key");
    const authorization = header(req, "authorization");
    this.requests.push({ method: req.method ?? "", path: url.pathname, idempotencyKey, authorization, form });

    if (!authorization?.startsWith("Bearer sk_test_")) {
      return send(401, { error: { type: "invalid_request_error", message: "Invalid API Key provided." } });
    }
    const retrieve = /^\/v1\/payment_intents\/([^/]+)$/.exec(url.pathname);
    if (req.method === "GET" && retrieve) {
      const intent = this.intents.get(retrieve[1]!);
      if (intent) return send(200, intent);
      return send(
        404,
        stripeError("invalid_request_error", "resource_missing", `No such payment_intent: '${retrieve[1]}'`, "intent"),
      );
    }
    if (req.method === "POST" && url.pathname === "/v1/refunds") return this.refund(form, idempotencyKey, send);
    const paymentMethod = /^\/v1\/payment_methods\/([^/]+)$/.exec(url.pathname);
    if (req.method === "GET" && paymentMethod) {
      const id = decodeURIComponent(paymentMethod[1]!);
      if (id.startsWith("pm_card_")) return send(200, { id, object: "payment_method", type: "card", livemode: false });
      return send(
        404,
        stripeError("invalid_request_error", "resource_missing", `No such PaymentMethod: '${id}'`, "payment_method"),
      );
    }
    if (req.method !== "POST" || url.pathname !== "/v1/payment_intents") {
      return send(
        404,
        stripeError(
          "invalid_request_error",
          "resource_missing",
          `Unrecognized request URL (${req.method}: ${url.pathname}).`,
        ),
      );
    }

    const fingerprint = JSON.stringify(Object.entries(form).sort());
    const previous = idempotencyKey ? this.idempotent.get(idempotencyKey) : undefined;
    if (previous) {
      if (previous.fingerprint !== fingerprint) {
        return send(400, {
          error: {
            type: "idempotency_error",
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
          },
        });
      }
      return send(previous.status, previous.body, { "Idempotent-Replayed": "true" });
    }

    const fault = this.faults.shift();
    if (fault && !fault.after_charge)
      return send(
        fault.status,
        stripeError(
          fault.status === 429 ? "invalid_request_error" : "api_error",
          fault.status === 429 ? "rate_limit" : undefined,
          "Simulated fault.",
        ),
      );
    const { status, body } = this.createIntent(form);
    // Stripe stores the response as it was sent (a snapshot): a replay shows the intent as it was then.
    if (idempotencyKey) this.idempotent.set(idempotencyKey, { status, body: structuredClone(body), fingerprint });
    if (fault)
      return send(fault.status, stripeError("api_error", undefined, "Simulated fault after the charge was made."));
    return send(status, body);
  }

  /** POST /v1/refunds: a full or partial refund of a succeeded PaymentIntent, once per key. */
  private refund(
    form: Record<string, string>,
    idempotencyKey: string | null,
    send: (status: number, body: unknown, headers?: Record<string, string>) => void,
  ): void {
    const previous = idempotencyKey ? this.idempotent.get(`refund:${idempotencyKey}`) : undefined;
    if (previous) {
      send(previous.status, previous.body, { "Idempotent-Replayed": "true" });
      return;
    }
    const intent = this.intents.get(form.payment_intent ?? "");
    let status = 200;
    let body: Json;
    if (!intent) {
      status = 404;
      body = stripeError(
        "invalid_request_error",
        "resource_missing",
        `No such payment_intent: '${form.payment_intent}'`,
        "payment_intent",
      );
    } else if (intent.status !== "succeeded") {
      status = 400;
      body = stripeError("invalid_request_error", "charge_not_refundable", "This PaymentIntent has not succeeded.");
    } else {
      const amount = Number(form.amount ?? intent.amount);
      this.refunds += 1;
      body = {
        id: `re_fake_${++this.sequence}`,
        object: "refund",
        amount,
        payment_intent: intent.id,
        status: "succeeded",
        reason: form.reason ?? null,
      };
    }
    if (idempotencyKey) this.idempotent.set(`refund:${idempotencyKey}`, { status, body, fingerprint: "" });
    send(status, body);
  }

  private createIntent(form: Record<string, string>): { status: number; body: Json } {
    const paymentMethod = form.payment_method ?? "";
    if (!paymentMethod.startsWith("pm_card_")) {
      return {
        status: 400,
        body: stripeError(
          "invalid_request_error",
          "resource_missing",
          `No such PaymentMethod: '${paymentMethod}'`,
          "payment_method",
        ),
      };
    }
    const id = `pi_fake_${++this.sequence}`;
    const metadata: Record<string, string> = {};
    for (const [key, value] of Object.entries(form)) {
      const match = /^metadata\[(.+)\]$/.exec(key);
      if (match) metadata[match[1]!] = value;
    }
    const intent: Json = {
      id,
      object: "payment_intent",
      amount: Number(form.amount),
      currency: form.currency,
      payment_method: paymentMethod,
      payment_method_types: ["card"],
      metadata,
      last_payment_error: null,
      status: "succeeded",
      livemode: false,
    };
    this.intents.set(id, intent);
    this.charges += 1;
    const decline = DECLINES[paymentMethod];
    if (decline) {
      const error = {
        type: "card_error",
        code: "card_declined",
        decline_code: decline.decline_code,
        message: decline.message,
        charge: `ch_fake_${this.sequence}`,
      };
      Object.assign(intent, { status: "requires_payment_method", last_payment_error: error });
      return {
        status: 402,
        body: {
          error: { ...error, payment_intent: intent, doc_url: "https://stripe.com/docs/error-codes/card-declined" },
        },
      };
    }
    if (paymentMethod === "pm_card_processing") intent.status = "processing";
    return { status: 200, body: intent };
  }
}

function stripeError(type: string, code: string | undefined, message: string, param?: string): Json {
  return { error: { type, ...(code ? { code } : {}), message, ...(param ? { param } : {}) } };
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === "string" ? value : null;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (data += chunk));
    req.on("end", () => resolve(data));
    req.on("error", reject);
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fake = new FakeStripe();
  const server = createServer((req, res) => {
    fake.handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: { type: "api_error", message: `fake Stripe crashed: ${String(error)}` } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  project.provide("stripePort", (server.address() as AddressInfo).port);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
