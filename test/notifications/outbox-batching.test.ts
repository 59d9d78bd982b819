import { describe, expect, it } from "vitest";
import type { RecordedEvent } from "../../src/notifications/outbox";
import { fitBatch, MAX_MESSAGE_BYTES, messageOf } from "../../src/notifications/outbox";

const context = { customer: "cus_1", source: { actor: "subscription" as const, id: "sub_1" }, plan: null };

function row(seq: number, bytes: number): RecordedEvent {
  const object = { id: `in_${seq}`, object: "invoice", padding: "x".repeat(bytes) };
  return { id: `evt_${seq}`, type: "invoice.finalized", created: 1_780_000_000, data: { object } };
}

describe("outbox batches (Queues: ≤ 100 messages and ≤ 256 KB a sendBatch, ≤ 128 KB a message)", () => {
  it("sends at most 100 events at once", () => {
    const items = Array.from({ length: 150 }, (_, i) => ({
      position: i + 1,
      body: messageOf(row(i + 1, 10), context),
    }));
    const { messages, last } = fitBatch(items);
    expect(messages).toHaveLength(100);
    expect(last).toBe(100);
  });

  it("stops a batch before 240 KB, and always sends at least one", () => {
    const items = Array.from({ length: 5 }, (_, i) => ({
      position: i + 1,
      body: messageOf(row(i + 1, 100_000), context),
    }));
    const first = fitBatch(items);
    expect(first.messages.map((m) => m.event.id)).toEqual(["evt_1", "evt_2"]);
    expect(first.last).toBe(2);
    expect(fitBatch(items.slice(4)).messages).toHaveLength(1);
  });

  it("sends an event too large for one message without its object's body, flagged truncated", () => {
    const huge = messageOf(row(7, MAX_MESSAGE_BYTES), context);
    expect(huge.event).toEqual({
      id: "evt_7",
      object: "event",
      type: "invoice.finalized",
      created: "2026-05-28T20:26:40Z",
      data: { object: { id: "in_7", object: "invoice" }, truncated: true },
    });
    expect(huge.customer).toBe("cus_1");
    const normal = messageOf(row(8, 1000), context);
    expect((normal.event.data.object as { padding: string }).padding).toHaveLength(1000);
  });
});
