import { describe, expect, it } from "vitest";
import { parseGatewayRate, SlotBook, shardOf } from "../../src/payments/charge-pacing";

describe("charge pacing", () => {
  it("splits a gateway rate into shards of at most ten slots a second", () => {
    expect(parseGatewayRate("80")).toEqual({ rate: 80, shards: 8, spacingMs: 100 });
    expect(parseGatewayRate("5")).toEqual({ rate: 5, shards: 1, spacingMs: 200 });
    expect(parseGatewayRate(undefined)).toBeNull();
    expect(parseGatewayRate(" ")).toBeNull();
  });

  it("refuses a rate that is not whole requests per second", () => {
    for (const bad of ["0", "-5", "1.5", "fast", "10001"]) {
      expect(() => parseGatewayRate(bad)).toThrow(/BILLIFY_GATEWAY_RATE/);
    }
  });

  it("hands one shard's slots out spacing apart, from now when it is idle", () => {
    const book = new SlotBook(100);
    expect([book.reserve("a", 1_000), book.reserve("b", 1_000), book.reserve("c", 1_050)]).toEqual([
      1_000, 1_100, 1_200,
    ]);
    expect(book.reserve("d", 5_000)).toBe(5_000);
  });

  it("gives an attempt that comes back at its slot the same slot, so it goes through", () => {
    const book = new SlotBook(100);
    book.reserve("a", 0);
    const slot = book.reserve("b", 0);
    expect(book.reserve("b", slot)).toBe(slot);
    expect(book.reserve("c", slot)).toBe(200);
  });

  it("gives an attempt whose alarm came back late a new slot, paced behind the others", () => {
    const book = new SlotBook(100);
    const slots = ["a", "b", "c"].map((key) => book.reserve(key, 0));
    expect(slots).toEqual([0, 100, 200]);
    // All three come back together at 5 s: late for every one of them.
    expect(["a", "b", "c"].map((key) => book.reserve(key, 5_000))).toEqual([5_000, 5_100, 5_200]);
  });

  it("paces ten thousand due at once under the rate: at most rate + shards in any second", () => {
    const pacing = parseGatewayRate("80")!;
    const books = Array.from({ length: pacing.shards }, () => new SlotBook(pacing.spacingMs));
    const perSecond = new Map<number, number>();
    for (let i = 0; i < 10_000; i++) {
      const id = `sub_01JZ${String(i).padStart(22, "0")}`;
      const slot = books[shardOf(id, pacing.shards)]!.reserve(`${id}:attempt:1`, 0);
      perSecond.set(Math.floor(slot / 1000), (perSecond.get(Math.floor(slot / 1000)) ?? 0) + 1);
    }
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(pacing.rate + pacing.shards);
    // The shards share the load: the last slot is close to 10,000 / 80 = 125 s.
    expect(Math.max(...perSecond.keys())).toBeLessThan(150);
  });
});
