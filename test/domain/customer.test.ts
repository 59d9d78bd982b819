import { describe, expect, it } from "vitest";
import type { CustomerFields } from "../../src/domain/customer";
import {
  decideCustomerCreate,
  decideCustomerUpdate,
  paymentPushRetryAt,
  pushDelivered,
} from "../../src/domain/customer";
import { parseIso } from "../../src/domain/time";

// A customer's update as one decision, without a Worker: its fields, its event (dated with
// the customer's time) and the payment-details push it owes.

const frozen = parseIso("2026-01-01T00:00:00Z")!;
const ada: CustomerFields = { email: "ada@example.com", name: "Ada", paymentMethod: "pm_card_visa", metadata: {} };

describe("decideCustomerUpdate", () => {
  it("applies the patch and dates customer.updated with the time it is given (a test clock's frozen time)", () => {
    const d = decideCustomerUpdate(ada, { name: "Ada Lovelace", metadata: { crm: "42" } }, frozen);
    expect(d).toEqual({
      customer: {
        email: "ada@example.com",
        name: "Ada Lovelace",
        paymentMethod: "pm_card_visa",
        metadata: { crm: "42" },
      },
      event: { type: "customer.updated", at: frozen },
      push: null,
    });
  });

  it("records no event for a patch that changes nothing", () => {
    const d = decideCustomerUpdate(ada, { email: "ada@example.com", metadata: {} }, frozen);
    expect(d).toEqual({ customer: ada, event: null, push: null });
  });

  it("owes the payment details, with a retry, for a payment method set (even the same one again)", () => {
    expect(decideCustomerUpdate(ada, { paymentMethod: "pm_card_mastercard", metadata: {} }, frozen).push).toEqual({
      retry: true,
    });
    const same = decideCustomerUpdate(ada, { paymentMethod: "pm_card_visa", metadata: {} }, frozen);
    expect(same).toMatchObject({ event: null, push: { retry: true } });
  });

  it("owes them without a retry for a new gateway customer or a payment method removed", () => {
    const gateway = decideCustomerUpdate(ada, { metadata: { stripe_customer: "cus_1" } }, frozen);
    expect(gateway.push).toEqual({ retry: false });
    const removed = decideCustomerUpdate(ada, { paymentMethod: null, metadata: {} }, frozen);
    expect(removed.push).toEqual({ retry: false });
  });
});

describe("decideCustomerCreate", () => {
  it("inserts the row with its id, test clock and creation time, and records customer.created then, owing no push", () => {
    expect(decideCustomerCreate("cus_1", "clock_1", ada, frozen)).toEqual({
      customer: { email: "ada@example.com", name: "Ada", paymentMethod: "pm_card_visa", metadata: {} },
      create: { id: "cus_1", testClock: "clock_1", created: frozen },
      event: { type: "customer.created", at: frozen },
      push: null,
    });
  });
});

describe("paymentPushRetryAt", () => {
  it("retries an owed push 10 s later, and never when nothing is owed", () => {
    expect(paymentPushRetryAt(true, 1_000_000)).toBe(1_010_000);
    expect(paymentPushRetryAt(false, 1_000_000)).toBeNull();
  });
});

describe("pushDelivered", () => {
  it("is done when answered, or when not found and the reference is over a minute old", () => {
    const now = 1_000_000;
    expect(pushDelivered("ok", now, now)).toBe(true);
    expect(pushDelivered("not_found", now - 60_001, now)).toBe(true);
    expect(pushDelivered("not_found", now - 60_000, now)).toBe(false);
    expect(pushDelivered("failed", 0, now)).toBe(false);
  });
});
