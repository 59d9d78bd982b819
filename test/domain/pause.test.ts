import { describe, expect, it } from "vitest";
import type { Cadence } from "../../src/domain/billing-period";
import { decideCloseInvoice } from "../../src/domain/collection";
import type { Decided, Decision, InvoiceFacts, Ledger } from "../../src/domain/decision";
import { decideRenewal, decideStart } from "../../src/domain/lifecycle";
import { decideFinalizeDraft, decidePause, decidePauseEnds, decideResumeCollection } from "../../src/domain/pause";
import type { DraftLine } from "../../src/domain/proration";
import type { PauseCollection, PlanTerms, SubscriptionState } from "../../src/domain/subscription";
import { parseIso } from "../../src/domain/time";

// Rule 15 as decisions, without a Worker: the pause, its end, what each behaviour does to an
// invoice made meanwhile, and finalizing or voiding the drafts it leaves.

const at = (iso: string): number => parseIso(iso)!;
const monthly: Cadence = { interval: "month", intervalCount: 1 };
const basic: PlanTerms = {
  id: "plan_basic",
  name: "Basic",
  currency: "usd",
  amount: 1000,
  cadence: monthly,
  trialDays: 0,
};
const april1 = at("2026-04-01T00:00:00Z");
const april10 = at("2026-04-10T00:00:00Z");
const may1 = at("2026-05-01T00:00:00Z");
const june1 = at("2026-06-01T00:00:00Z");

function accepted(decided: Decided): Decision {
  if (decided.ok) return decided.decision;
  throw new Error(`refused: ${decided.error.code}`);
}
const types = (d: Decision) => d.events.map((e) => e.type);
const started = (): SubscriptionState =>
  accepted(decideStart({ plan: basic, quantity: 1, now: april1, trialDays: 0, billingCycleAnchor: null })).state;
const ledger = (state: SubscriptionState, pending: DraftLine[] = [], openInvoices: InvoiceFacts[] = []): Ledger => ({
  state,
  pending,
  openInvoices,
});
const paused = (pause: PauseCollection, fields: Partial<SubscriptionState> = {}): SubscriptionState => ({
  ...started(),
  ...fields,
  pauseCollection: pause,
});

describe("pausing collection (rule 15)", () => {
  it("keeps the status, records the terms, schedules the end at resumes_at and emits subscription.updated", () => {
    const d = accepted(decidePause(ledger(started()), { behavior: "void", resumesAt: june1 }, april10));
    expect(d.state).toMatchObject({ status: "active", pauseCollection: { behavior: "void", resumesAt: june1 } });
    expect(types(d)).toEqual(["subscription.updated"]);
    expect(d.jobs).toEqual([{ op: "schedule", kind: "resume_collection", dueAt: june1, invoice: null }]);
    expect(d.issue).toEqual([]);
  });

  it("without resumes_at cancels any earlier end (a re-pause with new terms)", () => {
    const d = accepted(
      decidePause(
        ledger(paused({ behavior: "void", resumesAt: june1 })),
        { behavior: "keep_as_draft", resumesAt: null },
        april10,
      ),
    );
    expect(d.state.pauseCollection).toEqual({ behavior: "keep_as_draft", resumesAt: null });
    expect(d.jobs).toEqual([{ op: "cancel", kind: "resume_collection", invoice: null }]);
  });

  it("refuses an ended or incomplete subscription, and a resumes_at that is not in the future", () => {
    const refusal = (state: SubscriptionState, resumesAt: number | null = null) => {
      const d = decidePause(ledger(state), { behavior: "void", resumesAt }, april10);
      return d.ok ? null : d.error;
    };
    expect(refusal({ ...started(), status: "canceled" })?.code).toBe("subscription_ended");
    expect(refusal({ ...started(), status: "incomplete_expired" })?.code).toBe("subscription_ended");
    expect(refusal({ ...started(), status: "incomplete" })?.code).toBe("invalid_status");
    expect(refusal(started(), april10)).toMatchObject({ code: "parameter_invalid", param: "resumes_at" });
    expect(refusal({ ...started(), status: "past_due" })).toBeNull();
  });

  it("ends on request (and a second resume changes nothing), or when its resumes_at comes", () => {
    const state = paused({ behavior: "keep_as_draft", resumesAt: june1 });
    const resumed = decideResumeCollection(ledger(state));
    expect(resumed.state.pauseCollection).toBeNull();
    expect(types(resumed)).toEqual(["subscription.updated"]);
    expect(resumed.jobs).toEqual([{ op: "cancel", kind: "resume_collection", invoice: null }]);
    const again = decideResumeCollection(ledger(resumed.state));
    expect([types(again), again.jobs, again.state]).toEqual([[], [], resumed.state]);

    const early = decidePauseEnds(ledger(state), may1);
    expect([early.state.pauseCollection, types(early)]).toEqual([state.pauseCollection, []]);
    const due = decidePauseEnds(ledger(state), june1);
    expect([due.state.pauseCollection, types(due)]).toEqual([null, ["subscription.updated"]]);
  });
});

describe("an invoice made during the pause", () => {
  it("keep_as_draft: a draft with no credit applied, no finalization, no attempt", () => {
    const d = decideRenewal(
      ledger(paused({ behavior: "keep_as_draft", resumesAt: null }, { creditBalance: 300 })),
      may1,
    );
    expect(d.issue).toHaveLength(1);
    expect(d.issue[0]).toMatchObject({ draft: true, totals: { total: 1000, creditApplied: 0, amountDue: 1000 } });
    expect(d.state.creditBalance).toBe(300);
    expect(types(d)).toEqual(["subscription.updated", "invoice.created"]);
    expect(d.jobs.filter((j) => j.kind === "retry_payment")).toEqual([]);
    expect(d.state.status).toBe("active");
  });

  it("mark_uncollectible: finalized, then uncollectible at once, keeping the credit it used", () => {
    const d = decideRenewal(
      ledger(paused({ behavior: "mark_uncollectible", resumesAt: null }, { creditBalance: 300 })),
      may1,
    );
    expect(d.issue[0]!.totals).toMatchObject({ total: 1000, creditApplied: 300, amountDue: 700, status: "open" });
    expect(d.invoiceUpdates).toEqual([{ invoice: { issued: 0 }, status: "uncollectible", nextPaymentAttempt: null }]);
    expect(d.state.creditBalance).toBe(0);
    expect(types(d)).toEqual([
      "subscription.updated",
      "invoice.created",
      "invoice.finalized",
      "invoice.marked_uncollectible",
    ]);
    expect(d.jobs.filter((j) => j.kind === "retry_payment")).toEqual([]);
  });

  it("void: finalized, then voided at once, giving back the credit it used (rule 8)", () => {
    const d = decideRenewal(ledger(paused({ behavior: "void", resumesAt: null }, { creditBalance: 300 })), may1);
    expect(d.invoiceUpdates).toEqual([
      { invoice: { issued: 0 }, status: "void", nextPaymentAttempt: null, voidedAt: may1 },
    ]);
    expect(d.state.creditBalance).toBe(300);
    expect(types(d)).toEqual(["subscription.updated", "invoice.created", "invoice.finalized", "invoice.voided"]);
  });

  it("an invoice with nothing due is paid as always, whatever the pause", () => {
    const d = decideRenewal(ledger(paused({ behavior: "void", resumesAt: null }, { creditBalance: 5000 })), may1);
    expect(d.issue[0]!.totals).toMatchObject({ amountDue: 0, status: "paid", creditApplied: 1000 });
    expect(d.invoiceUpdates).toEqual([]);
    expect(types(d)).toEqual(["subscription.updated", "invoice.created", "invoice.finalized", "invoice.paid"]);
  });
});

describe("a draft left by the pause", () => {
  const draft = { id: "in_draft", status: "draft" as const, billingReason: "subscription_cycle" as const, total: 1000 };

  it("is finalized with the credit held now and its first attempt scheduled at once", () => {
    const d = accepted(decideFinalizeDraft(ledger({ ...started(), creditBalance: 250 }), draft, june1));
    expect(d.invoiceUpdates).toEqual([
      { invoice: { id: "in_draft" }, status: "open", finalizedAt: june1, creditApplied: 250, amountDue: 750 },
    ]);
    expect(d.state.creditBalance).toBe(0);
    expect(types(d)).toEqual(["invoice.finalized"]);
    expect(d.jobs).toEqual([{ op: "schedule", kind: "retry_payment", dueAt: june1, invoice: { id: "in_draft" } }]);
  });

  it("is paid at finalization when the credit covers it, and a negative one becomes credit", () => {
    const covered = accepted(decideFinalizeDraft(ledger({ ...started(), creditBalance: 1000 }), draft, june1));
    expect(covered.invoiceUpdates[0]).toMatchObject({
      status: "paid",
      amountDue: 0,
      creditApplied: 1000,
      paidAt: june1,
    });
    expect(types(covered)).toEqual(["invoice.finalized", "invoice.paid"]);
    const negative = accepted(decideFinalizeDraft(ledger(started()), { ...draft, total: -400 }, june1));
    expect(negative.state.creditBalance).toBe(400);
    expect(negative.invoiceUpdates[0]).toMatchObject({ status: "paid", amountDue: 0, creditApplied: 0 });
  });

  it("cannot be finalized twice: any other status is refused", () => {
    for (const status of ["open", "paid", "void", "uncollectible"] as const) {
      const d = decideFinalizeDraft(ledger(started()), { ...draft, status }, june1);
      expect(d.ok ? null : d.error.code).toBe("invoice_not_draft");
    }
  });

  it("can be voided (and only voided) without touching the subscription", () => {
    const facts: InvoiceFacts = {
      id: "in_draft",
      status: "draft",
      billingReason: "subscription_cycle",
      currency: "usd",
      created: may1,
      amountDue: 1000,
      amountPaid: 0,
      creditApplied: 0,
      attemptCount: 0,
    };
    const state = { ...started(), status: "past_due" as const };
    const d = accepted(decideCloseInvoice(ledger(state), facts, "void", june1));
    expect(d.invoiceUpdates).toEqual([{ invoice: { id: "in_draft" }, status: "void", voidedAt: june1 }]);
    expect(types(d)).toEqual(["invoice.voided"]);
    expect(d.state).toEqual(state);
    const uncollectible = decideCloseInvoice(ledger(state), facts, "uncollectible", june1);
    expect(uncollectible.ok ? null : uncollectible.error.code).toBe("invoice_not_open");
  });
});
