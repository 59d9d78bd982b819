import type { ChargeRequest, ChargeResult, PaymentGateway } from "./gateway";

/** Placeholder until the Stripe gateway lands (issue 4): refuses every charge as pending. */
export class StripeGateway implements PaymentGateway {
  readonly name = "stripe";
  constructor(
    private readonly secretKey: string,
    private readonly apiBase?: string,
  ) {}

  async charge(_request: ChargeRequest): Promise<ChargeResult> {
    throw new Error(`Stripe gateway not implemented (key ${this.secretKey.slice(0, 3)}…, base ${this.apiBase ?? "default"})`);
  }
}
