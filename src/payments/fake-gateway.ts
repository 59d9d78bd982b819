import type { ChargeRequest, ChargeResult, PaymentGateway, RefundRequest, RefundResult } from "./gateway";

/** Stripe's test tokens (docs/billing-rules.md, Payment methods), answered deterministically and offline. */
const DECLINES: Record<string, { code: string; message: string }> = {
  pm_card_chargeDeclined: { code: "card_declined", message: "Your card was declined." },
  pm_card_chargeDeclinedInsufficientFunds: { code: "insufficient_funds", message: "Your card has insufficient funds." },
};

const SUCCEEDS = new Set(["pm_card_visa", "pm_card_mastercard", "pm_card_amex"]);

export class FakeGateway implements PaymentGateway {
  readonly name = "fake";

  async knowsPaymentMethod(token: string): Promise<boolean> {
    return token in DECLINES || SUCCEEDS.has(token);
  }

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const token = request.paymentMethod;
    if (!token) {
      return {
        status: "failed",
        code: "no_payment_method",
        message: "The customer has no payment method.",
        reference: null,
      };
    }
    const decline = DECLINES[token];
    if (decline) return { status: "failed", ...decline, reference: `fake_${request.idempotencyKey}` };
    if (SUCCEEDS.has(token)) return { status: "succeeded", reference: `fake_${request.idempotencyKey}` };
    return {
      status: "failed",
      code: "payment_method_invalid",
      message: `The test gateway does not know the payment method '${token}'.`,
      reference: null,
    };
  }

  /** Every test charge can be refunded; the key makes the refund's reference stable. */
  async refund(request: RefundRequest): Promise<RefundResult> {
    return { status: "succeeded", reference: `fake_re_${request.idempotencyKey}` };
  }
}
