import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { advance, api, createCustomer, createPlan, invoicesOf, ok, subscribeOnClock } from "../helpers";

// Rule 15 end to end inside the Worker: the three behaviours on renewals made during the
// pause, its end from the test clock and from the subscription's own alarm, and drafts that
// are finalized (with the next gapless number) or voided.

const typesOf = async (id: string) =>
  (await ok("GET", `/v1/subscriptions/${id}/events?limit=100`)).data.map((e: { type: string }) => e.type);

describe("pausing collection (rule 15)", () => {
  it("keep_as_draft leaves each renewal a draft with no number, no attempt and no page, until it is finalized", async () => {
    const { clock, subscription } = await subscribeOnClock("2026-04-01T00:00:00Z", { amount: 1000 });
    const pausedSub = await ok("POST", `/v1/subscriptions/${subscription.id}/pause_collection`, {
      behavior: "keep_as_draft",
      resumes_at: "2026-05-15T00:00:00Z",
    });
    expect(pausedSub).toMatchObject({
      status: "active",
      pause_collection: { behavior: "keep_as_draft", resumes_at: "2026-05-15T00:00:00Z" },
    });
    await advance(clock.id, "2026-05-02T00:00:00Z");
    const [first, draft] = await invoicesOf(subscription.id);
    expect(first).toMatchObject({ number: expect.stringMatching(/-0001$/), status: "paid" });
    expect(first.hosted_invoice_url).toMatch(/^http:\/\/localhost:8787\/i\/in_\w+\/[0-9a-f]{32}$/);
    expect(first.invoice_pdf).toBe(`${first.hosted_invoice_url}/pdf`);
    expect(draft).toMatchObject({
      status: "draft",
      number: null,
      attempt_count: 0,
      finalized_at: null,
      hosted_invoice_url: null,
      invoice_pdf: null,
      amount_due: 1000,
    });
    expect(await ok("GET", `/v1/invoices/${draft.id}/payments`)).toMatchObject({ data: [] });
    // The pause ends at its resumes_at on the clock; the next renewal is collected as always.
    await advance(clock.id, "2026-05-16T00:00:00Z");
    expect((await ok("GET", `/v1/subscriptions/${subscription.id}`)).pause_collection).toBeNull();
    await advance(clock.id, "2026-06-01T00:00:00Z");
    const june = (await invoicesOf(subscription.id))[2];
    expect(june).toMatchObject({ status: "paid", number: expect.stringMatching(/-0002$/) });
    // The draft takes the next number when finalized, and is paid with the saved card.
    const finalized = await ok("POST", `/v1/invoices/${draft.id}/finalize`);
    expect(finalized).toMatchObject({
      status: "paid",
      number: expect.stringMatching(/-0003$/),
      attempt_count: 1,
      finalized_at: "2026-06-01T00:00:00Z",
    });
    expect(finalized.hosted_invoice_url).toMatch(/\/i\/in_\w+\/[0-9a-f]{32}$/);
    const again = await api("POST", `/v1/invoices/${draft.id}/finalize`);
    expect([again.status, again.body.error.code]).toEqual([400, "invoice_not_draft"]);
    const events = await typesOf(subscription.id);
    expect(events.filter((t: string) => t === "subscription.updated").length).toBeGreaterThanOrEqual(2);
  });

  it("void and mark_uncollectible close each invoice as it is finalized; a void gives its credit back", async () => {
    const { clock, subscription } = await subscribeOnClock("2026-04-01T00:00:00Z", { amount: 1000 });
    await ok("POST", `/v1/subscriptions/${subscription.id}/pause_collection`, { behavior: "void" });
    await advance(clock.id, "2026-05-02T00:00:00Z");
    await ok("POST", `/v1/subscriptions/${subscription.id}/pause_collection`, { behavior: "mark_uncollectible" });
    await advance(clock.id, "2026-06-02T00:00:00Z");
    const invoices = await invoicesOf(subscription.id);
    expect(invoices.map((i) => [i.number?.slice(-4), i.status, i.attempt_count])).toEqual([
      ["0001", "paid", 1],
      ["0002", "void", 0],
      ["0003", "uncollectible", 0],
    ]);
    expect(invoices[1].voided_at).toBe("2026-05-01T00:00:00Z");
    const sub = await ok("DELETE", `/v1/subscriptions/${subscription.id}/pause_collection`);
    expect(sub).toMatchObject({ status: "active", pause_collection: null });
    const events = await typesOf(subscription.id);
    expect(events).toContain("invoice.voided");
    expect(events).toContain("invoice.marked_uncollectible");
    expect(events.at(-1)).toBe("subscription.updated");
  });

  it("a draft can be voided; a draft cannot be paid or marked uncollectible", async () => {
    const { clock, subscription } = await subscribeOnClock("2026-04-01T00:00:00Z", { amount: 1000 });
    await ok("POST", `/v1/subscriptions/${subscription.id}/pause_collection`, { behavior: "keep_as_draft" });
    await advance(clock.id, "2026-05-02T00:00:00Z");
    const draft = (await invoicesOf(subscription.id))[1];
    expect((await api("POST", `/v1/invoices/${draft.id}/mark_uncollectible`)).status).toBe(400);
    expect((await api("POST", `/v1/invoices/${draft.id}/pay`)).status).toBe(400);
    const voided = await ok("POST", `/v1/invoices/${draft.id}/void`);
    expect(voided).toMatchObject({ status: "void", number: null, voided_at: "2026-05-02T00:00:00Z" });
    // The void took no number: the next invoice is 0002.
    await ok("DELETE", `/v1/subscriptions/${subscription.id}/pause_collection`);
    await advance(clock.id, "2026-06-01T00:00:00Z");
    expect((await invoicesOf(subscription.id))[2].number).toMatch(/-0002$/);
  });

  it("refuses to pause an ended or incomplete subscription, and bad terms", async () => {
    const { subscription } = await subscribeOnClock("2026-04-01T00:00:00Z", { amount: 1000 });
    const badBehavior = await api("POST", `/v1/subscriptions/${subscription.id}/pause_collection`, { behavior: "x" });
    expect([badBehavior.status, badBehavior.body.error.param]).toEqual([400, "behavior"]);
    const past = await api("POST", `/v1/subscriptions/${subscription.id}/pause_collection`, {
      behavior: "void",
      resumes_at: "2026-03-01T00:00:00Z",
    });
    expect([past.status, past.body.error.param]).toEqual([400, "resumes_at"]);
    await ok("POST", `/v1/subscriptions/${subscription.id}/cancel`, {});
    const ended = await api("POST", `/v1/subscriptions/${subscription.id}/pause_collection`, { behavior: "void" });
    expect([ended.status, ended.body.error.code]).toEqual([400, "subscription_ended"]);

    const declined = await createCustomer({ payment_method: "pm_card_chargeDeclined" });
    const plan = await createPlan({ amount: 1000 });
    const incomplete = await ok("POST", "/v1/subscriptions", { customer: declined.id, plan: plan.id });
    expect(incomplete.status).toBe("incomplete");
    const refused = await api("POST", `/v1/subscriptions/${incomplete.id}/pause_collection`, { behavior: "void" });
    expect([refused.status, refused.body.error.code]).toEqual([400, "invalid_status"]);
    expect((await api("POST", "/v1/subscriptions/sub_nope/pause_collection", { behavior: "void" })).status).toBe(404);
  });

  it("keeps retrying the invoices made before the pause", async () => {
    const { clock, customer, subscription } = await subscribeOnClock("2026-04-01T00:00:00Z", { amount: 1000 });
    await ok("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_chargeDeclined" });
    await advance(clock.id, "2026-05-01T01:00:00Z");
    const may = (await invoicesOf(subscription.id))[1];
    expect(may).toMatchObject({ status: "open", attempt_count: 1, next_payment_attempt: "2026-05-02T00:00:00Z" });
    await ok("POST", `/v1/subscriptions/${subscription.id}/pause_collection`, { behavior: "void" });
    await advance(clock.id, "2026-05-02T01:00:00Z");
    const retried = await ok("GET", `/v1/invoices/${may.id}`);
    expect(retried).toMatchObject({ status: "open", attempt_count: 2 });
    expect((await ok("GET", `/v1/subscriptions/${subscription.id}`)).status).toBe("past_due");
    // A new card pays it even while paused: the pause touches only invoices made during it.
    await ok("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_visa" });
    expect((await ok("GET", `/v1/invoices/${may.id}`)).status).toBe("paid");
    await advance(clock.id, "2026-06-01T01:00:00Z");
    expect((await invoicesOf(subscription.id))[2]).toMatchObject({ status: "void", attempt_count: 0 });
  });

  it("ends at resumes_at from the subscription's own alarm", async () => {
    const customer = await createCustomer();
    const plan = await createPlan({ amount: 300, interval: "day" });
    const subscription = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    const resumesAt = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, "Z");
    await ok("POST", `/v1/subscriptions/${subscription.id}/pause_collection`, {
      behavior: "void",
      resumes_at: resumesAt,
    });
    const stub = env.SUBSCRIPTIONS.getByName(subscription.id.slice(-16));
    const job = await runInDurableObject(stub, (_i, state) => {
      // The hour passes: the job is due now (the test stands in for the wait).
      state.storage.sql.exec("UPDATE job SET due_at = due_at - 3601 WHERE kind = 'resume_collection'");
      state.storage.sql.exec("UPDATE subscription SET pause_resumes_at = pause_resumes_at - 3601");
      return state.storage.sql.exec("SELECT kind FROM job WHERE kind = 'resume_collection'").toArray();
    });
    expect(job).toHaveLength(1);
    await runInDurableObject(stub, (_i, state) => state.storage.setAlarm(Date.now()));
    await runDurableObjectAlarm(stub);
    const after = await ok("GET", `/v1/subscriptions/${subscription.id}`);
    expect(after.pause_collection).toBeNull();
    expect((await typesOf(subscription.id)).at(-1)).toBe("subscription.updated");
  });
});
