import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FailedAttempt } from "../../src/domain/dunning";
import {
  afterFailedAttempt,
  retriesOnNewPaymentMethod,
  shouldAttemptAutomatically,
  statusAfterClosing,
  statusAfterPayment,
} from "../../src/domain/dunning";
import type { DunningPolicy } from "../../src/domain/retry-schedule";
import { DEFAULT_DUNNING } from "../../src/domain/retry-schedule";
import type { SubscriptionStatus } from "../../src/domain/subscription";
import { parseIso, toIso } from "../../src/domain/time";

const at = (iso: string): number => {
  const instant = parseIso(iso);
  if (instant === null) throw new Error(`bad test timestamp ${iso}`);
  return instant;
};
const DAY = 86_400;
const HOUR = 3_600;
const CREATED = at("2026-01-31T10:00:00Z");
const failure = (overrides: Partial<FailedAttempt>): FailedAttempt => ({
  status: "active",
  isFirstInvoice: false,
  invoiceCreated: CREATED,
  attempt: 1,
  failedAt: CREATED,
  ...overrides,
});
const ALL: readonly SubscriptionStatus[] = [
  "trialing",
  "active",
  "incomplete",
  "incomplete_expired",
  "past_due",
  "unpaid",
  "canceled",
];

describe("dunning after a failed renewal attempt", () => {
  it("retries 1, 3, 5 and 7 days after attempts 1 to 4 fail, past_due meanwhile", () => {
    const steps = [
      { attempt: 1, failedAt: "2026-01-31T10:00:00Z", next: "2026-02-01T10:00:00Z" },
      { attempt: 2, failedAt: "2026-02-01T10:00:00Z", next: "2026-02-04T10:00:00Z" },
      { attempt: 3, failedAt: "2026-02-04T10:00:00Z", next: "2026-02-09T10:00:00Z" },
      { attempt: 4, failedAt: "2026-02-09T10:00:00Z", next: "2026-02-16T10:00:00Z" },
    ];
    let status: SubscriptionStatus = "active";
    for (const { attempt, failedAt, next } of steps) {
      const step = afterFailedAttempt(DEFAULT_DUNNING, failure({ status, attempt, failedAt: at(failedAt) }));
      expect(step).toEqual({ status: "past_due", nextAttemptAt: at(next), expireAt: null, ends: false });
      status = step.status;
    }
  });

  it("counts each retry from when the previous attempt failed, even when it ran late", () => {
    const failedAt = at("2026-02-01T12:34:56Z");
    const step = afterFailedAttempt(DEFAULT_DUNNING, failure({ status: "past_due", attempt: 2, failedAt }));
    expect(step.nextAttemptAt).toBe(failedAt + 3 * DAY);
    expect(toIso(step.nextAttemptAt ?? 0)).toBe("2026-02-04T12:34:56Z");
  });

  it("cancels after the fifth attempt fails under the default final action", () => {
    expect(
      afterFailedAttempt(
        DEFAULT_DUNNING,
        failure({ status: "past_due", attempt: 5, failedAt: at("2026-02-16T10:00:00Z") }),
      ),
    ).toEqual({
      status: "canceled",
      nextAttemptAt: null,
      expireAt: null,
      ends: true,
    });
  });

  it("makes the subscription unpaid, not ended, with final action unpaid", () => {
    const policy: DunningPolicy = { ...DEFAULT_DUNNING, finalAction: "unpaid" };
    expect(afterFailedAttempt(policy, failure({ status: "past_due", attempt: 5 }))).toEqual({
      status: "unpaid",
      nextAttemptAt: null,
      expireAt: null,
      ends: false,
    });
  });

  it("leaves the subscription past_due with final action past_due", () => {
    const policy: DunningPolicy = { ...DEFAULT_DUNNING, finalAction: "past_due" };
    expect(afterFailedAttempt(policy, failure({ status: "past_due", attempt: 5 }))).toEqual({
      status: "past_due",
      nextAttemptAt: null,
      expireAt: null,
      ends: false,
    });
  });

  it("applies the final action after the only attempt when there are no retry days", () => {
    const policy: DunningPolicy = { retryDays: [], finalAction: "cancel" };
    expect(afterFailedAttempt(policy, failure({ attempt: 1 }))).toMatchObject({
      status: "canceled",
      nextAttemptAt: null,
      ends: true,
    });
  });

  it("schedules nothing for an unpaid subscription whose invoice fails again", () => {
    expect(
      afterFailedAttempt({ ...DEFAULT_DUNNING, finalAction: "unpaid" }, failure({ status: "unpaid", attempt: 1 })),
    ).toEqual({
      status: "unpaid",
      nextAttemptAt: null,
      expireAt: null,
      ends: false,
    });
  });

  it("leaves an ended subscription as it is", () => {
    for (const status of ["canceled", "incomplete_expired"] as const) {
      expect(afterFailedAttempt(DEFAULT_DUNNING, failure({ status, attempt: 2 }))).toEqual({
        status,
        nextAttemptAt: null,
        expireAt: null,
        ends: false,
      });
    }
  });
});

describe("dunning after the first invoice fails", () => {
  it("makes the subscription incomplete for 23 hours from the invoice, with no retry", () => {
    const step = afterFailedAttempt(DEFAULT_DUNNING, failure({ isFirstInvoice: true, failedAt: CREATED + 5 }));
    expect(step).toEqual({ status: "incomplete", nextAttemptAt: null, expireAt: CREATED + 23 * HOUR, ends: false });
    expect(toIso(step.expireAt ?? 0)).toBe("2026-02-01T09:00:00Z");
  });

  it("keeps the original expiry when a later attempt on the first invoice fails", () => {
    const step = afterFailedAttempt(
      DEFAULT_DUNNING,
      failure({ status: "incomplete", isFirstInvoice: true, attempt: 3, failedAt: CREATED + 20 * HOUR }),
    );
    expect(step).toEqual({ status: "incomplete", nextAttemptAt: null, expireAt: CREATED + 23 * HOUR, ends: false });
  });

  it("marks an incomplete subscription incomplete whatever the attempt number", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 23 * HOUR }), (attempt, delay) => {
        const step = afterFailedAttempt(
          DEFAULT_DUNNING,
          failure({ status: "incomplete", isFirstInvoice: true, attempt, failedAt: CREATED + delay }),
        );
        expect(step).toEqual({ status: "incomplete", nextAttemptAt: null, expireAt: CREATED + 82_800, ends: false });
      }),
    );
  });
});

describe("status after a payment", () => {
  it("makes past_due, unpaid and incomplete active once no invoice is left open", () => {
    for (const status of ["past_due", "unpaid", "incomplete"] as const) {
      expect(statusAfterPayment(status, 0)).toBe("active");
      expect(statusAfterPayment(status, 1)).toBe(status);
      expect(statusAfterPayment(status, 3)).toBe(status);
    }
  });

  it("leaves trialing, active and ended subscriptions as they are", () => {
    for (const status of ["trialing", "active", "canceled", "incomplete_expired"] as const) {
      expect(statusAfterPayment(status, 0)).toBe(status);
      expect(statusAfterPayment(status, 2)).toBe(status);
    }
  });
});

describe("automatic payment attempts", () => {
  it("attempts automatically only while the subscription is live and not unpaid", () => {
    expect(ALL.filter((status) => shouldAttemptAutomatically(status))).toEqual([
      "trialing",
      "active",
      "incomplete",
      "past_due",
    ]);
    for (const status of ["unpaid", "canceled", "incomplete_expired"] as const) {
      expect(shouldAttemptAutomatically(status)).toBe(false);
    }
  });

  it("attempts a final invoice exactly once, even though its subscription has ended (rule 12)", () => {
    expect(shouldAttemptAutomatically("canceled", { billingReason: "subscription_final", attemptCount: 0 })).toBe(true);
    expect(shouldAttemptAutomatically("canceled", { billingReason: "subscription_final", attemptCount: 1 })).toBe(
      false,
    );
    expect(shouldAttemptAutomatically("canceled", { billingReason: "subscription_cycle", attemptCount: 0 })).toBe(
      false,
    );
  });
});

describe("closing an invoice (void, uncollectible)", () => {
  it("ends an incomplete subscription whose first invoice is closed", () => {
    expect(statusAfterClosing("incomplete", true, 0)).toBe("incomplete_expired");
  });

  it("otherwise acts as a payment: active again once nothing is left open", () => {
    expect(statusAfterClosing("past_due", false, 0)).toBe("active");
    expect(statusAfterClosing("past_due", false, 1)).toBe("past_due");
    expect(statusAfterClosing("unpaid", false, 0)).toBe("active");
    expect(statusAfterClosing("active", false, 0)).toBe("active");
  });
});

describe("a new payment method", () => {
  it("retries the open invoices of past_due, unpaid and incomplete subscriptions only", () => {
    const statuses = [
      "trialing",
      "active",
      "incomplete",
      "incomplete_expired",
      "past_due",
      "unpaid",
      "canceled",
    ] as const;
    expect(statuses.filter(retriesOnNewPaymentMethod)).toEqual(["incomplete", "past_due", "unpaid"]);
  });
});
