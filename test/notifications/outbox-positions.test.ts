import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EventLog } from "../../src/actors/subscription/event-log";
import { SUBSCRIPTION_SCHEMA } from "../../src/actors/subscription/schema";
import type { EventMessage } from "../../src/contract/messages";
import { Outbox } from "../../src/notifications/outbox";

const META = "CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID";
const context = { customer: "cus_1", source: { actor: "subscription" as const, id: "sub_1" }, plan: null };

/** A queue that keeps what each sendBatch carried (event ids), and refuses the calls numbered in `refuse`. */
function recordingQueue(refuse: number[] = []) {
  const calls: string[][] = [];
  let n = 0;
  const queue = {
    send: async () => {
      throw new Error("the outbox sends batches");
    },
    sendBatch: async (messages: Iterable<{ body: EventMessage }>) => {
      n++;
      if (refuse.includes(n)) throw new Error("queue unavailable");
      calls.push([...messages].map((m) => m.body.event.id));
    },
  } as unknown as Queue<EventMessage>;
  return { queue, calls };
}

/** A subscription's event tables in a scratch object, its log, and an outbox over them. */
function scratch(state: DurableObjectState, refuse: number[] = []) {
  const sql = state.storage.sql;
  sql.exec(META);
  for (const statement of SUBSCRIPTION_SCHEMA) sql.exec(statement);
  const query = <T>(statement: string, ...params: (string | number | null)[]) =>
    sql.exec(statement, ...params).toArray() as T[];
  const log = new EventLog(query);
  const { queue, calls } = recordingQueue(refuse);
  const outbox = new Outbox(query, queue, () => context, log);
  const watermark = () => query<{ value: number }>("SELECT value FROM _meta WHERE key = 'outbox_position'")[0]?.value;
  const ids = () => log.after(0, 100).map((e) => e.event.id);
  return { log, outbox, calls, watermark, ids };
}

/** `count` events of about 100 KB each: two fit one sendBatch (240 KB), three do not. */
function large(count: number, type = "invoice.finalized") {
  return Array.from({ length: count }, (_, i) => ({
    type,
    object: { id: `in_${i}`, object: "invoice", padding: "x".repeat(100_000) },
  }));
}

describe("the outbox over one row per decision", () => {
  it("sends a row whose events do not fit one sendBatch across several, each event once, in order", async () => {
    const result = await runInDurableObject(env.PLANS.getByName("outbox-positions-split"), async (_i, state) => {
      const { log, outbox, calls, watermark, ids } = scratch(state);
      log.record(large(5), 1_780_000_000);
      log.record([{ type: "invoice.paid", object: { id: "in_9", object: "invoice" } }], 1_780_000_001);
      const rows = state.storage.sql.exec("SELECT seq FROM event_batch").toArray().length;
      await outbox.flush();
      const afterFirst = { calls: calls.map((c) => [...c]), watermark: watermark(), unsent: outbox.hasUnsent() };
      await outbox.flush();
      return { rows, ids: ids(), afterFirst, calls, watermark: watermark() };
    });
    expect(result.rows).toBe(2);
    const [a, b, c, d, e, paid] = result.ids;
    // 100 KB events, 240 KB a call: the first row goes out two, two, then one with the next row's.
    expect(result.afterFirst.calls).toEqual([
      [a, b],
      [c, d],
      [e, paid],
    ]);
    expect(result.afterFirst.watermark).toBe(2_999);
    expect(result.afterFirst.unsent).toBe(false);
    // A second flush has nothing to send.
    expect(result.calls).toEqual(result.afterFirst.calls);
  });

  it("resumes inside a row where a refused sendBatch stopped: nothing lost, nothing sent again", async () => {
    const result = await runInDurableObject(env.PLANS.getByName("outbox-positions-refused"), async (_i, state) => {
      const { log, outbox, calls, watermark } = scratch(state, [2]);
      log.record(large(5), 1_780_000_000);
      const ids = log.after(0, 10).map((e) => e.event.id);
      await outbox.flush().catch(() => undefined);
      // Sent a and b; the call with c and d was refused: the watermark is inside the row, after b.
      const stopped = { calls: calls.map((c) => [...c]), watermark: watermark(), unsent: outbox.hasUnsent() };
      await outbox.flush();
      return { ids, stopped, calls, watermark: watermark(), unsent: outbox.hasUnsent() };
    });
    const [a, b, c, d, e] = result.ids;
    expect(result.stopped).toEqual({ calls: [[a, b]], watermark: 1_001, unsent: true });
    expect(result.calls).toEqual([[a, b], [c, d], [e]]);
    expect(result.calls.flat()).toEqual(result.ids);
    expect(result.watermark).toBe(1_999);
    expect(result.unsent).toBe(false);
  });

  it("stores one decision in one row up to ~1 MB, and starts another row past it", async () => {
    const result = await runInDurableObject(env.PLANS.getByName("outbox-positions-big"), (_i, state) => {
      const { log, ids } = scratch(state);
      log.record(large(12), 1_780_000_000);
      const sizes = state.storage.sql
        .exec<{ n: number }>("SELECT json_array_length(events) AS n FROM event_batch ORDER BY seq")
        .toArray()
        .map((r) => r.n);
      return { sizes, count: ids().length };
    });
    expect(result.sizes).toEqual([9, 3]);
    expect(result.count).toBe(12);
  });
});
