import { encodeTime } from "ulid";
import type { ListPage } from "../../contract/common";
import { MAX_METADATA_KEYS, mergeMetadata, tooManyMetadataKeys } from "../../contract/common";
import type {
  Coupon,
  CouponUpdate,
  PromotionCode,
  PromotionCodeCreate,
  PromotionCodeUpdate,
} from "../../contract/discount";
import { couponView } from "../../contract/discount";
import type { Outcome } from "../../contract/errors";
import { failure, notFound, ok } from "../../contract/errors";
import type { Idempotency } from "../../contract/idempotency";
import type { Coupon as CouponTerms } from "../../domain/discount";
import type { PromotionCodeTerms, RedemptionRequest } from "../../domain/redemption";
import { couponValidity, redemptionRefusal } from "../../domain/redemption";
import { instantFromMillis, toIso } from "../../domain/time";
import { couponListKey, promotionCodeListKey } from "../../lib/discount-catalog";
import { Actor } from "../actor";
import { IdempotentRequests } from "../capabilities/idempotent-requests";
import { ReadModel } from "../capabilities/read-model";
import { promotionCodeClaimStub, subscriptionStub } from "../stubs";

/** A redemption unconfirmed this long is settled by asking its subscription (alarm). */
export const RESERVATION_CHECK_MS = 30_000;

export interface Reservation {
  /** The subscription's key for this application: idempotent (the same key reserves once). */
  key: string;
  subscription: string;
  promotionCode: string | null;
  request: RedemptionRequest;
}

/** What a granted reservation gives the subscription: the coupon's terms and its count then. */
export interface Reserved {
  coupon: CouponTerms;
  timesRedeemed: number;
}

interface PromotionCodeRow {
  id: string;
  code: string;
  active: number;
  customer: string | null;
  expires_at: number | null;
  max_redemptions: number | null;
  first_time_transaction: number;
  minimum_amount: number | null;
  minimum_amount_currency: string | null;
  metadata: string;
  created: number;
  created_ms: number;
}

/**
 * One actor per coupon (named by its routing key): the coupon, its promotion codes, and every
 * redemption of them. Redemptions are counted here, one request at a time, so concurrent
 * redemptions never pass max_redemptions. A redemption is *reserved* by the subscription that
 * applies it (keyed, so a retry reserves once), then *confirmed* once the subscription wrote
 * its discount, or *released* when it did not; a reservation left unconfirmed (a crash in
 * between) is settled by this actor's alarm, which asks the subscription. `times_redeemed`
 * counts reserved and confirmed ones, so the limit holds while one is in doubt.
 */
export class CouponActor extends Actor {
  protected readonly migrations = [
    [
      `CREATE TABLE coupon (
         id TEXT PRIMARY KEY, terms TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
         created_ms INTEGER NOT NULL, version INTEGER NOT NULL DEFAULT 1, last_id_ms INTEGER NOT NULL DEFAULT 0)`,
      `CREATE TABLE promotion_code (
         id TEXT PRIMARY KEY, code TEXT NOT NULL, code_lower TEXT NOT NULL UNIQUE, active INTEGER NOT NULL,
         customer TEXT, expires_at INTEGER, max_redemptions INTEGER, first_time_transaction INTEGER NOT NULL,
         minimum_amount INTEGER, minimum_amount_currency TEXT, metadata TEXT NOT NULL,
         created INTEGER NOT NULL, created_ms INTEGER NOT NULL)`,
      `CREATE TABLE redemption (
         key TEXT PRIMARY KEY, subscription TEXT NOT NULL, promotion_code TEXT,
         status TEXT NOT NULL, reserved_ms INTEGER NOT NULL, times_redeemed INTEGER NOT NULL)`,
    ],
  ];

  private readonly requests = new IdempotentRequests(this.storage, () => this.afterWrite());
  /** The coupon and its codes in KV (lib/discount-catalog.ts). */
  protected override readonly readModel = new ReadModel(this.storage, {
    write: () => this.writeListing(),
    changeCount: () => this.changeCount(),
  });
  /** Reservations left in doubt, settled by asking their subscription. */
  protected override readonly jobs = {
    nextJobAt: () => this.nextReservationCheckAt(),
    runDueJobs: () => this.settleReservationsInDoubt(),
  };

  // ---- the coupon ----------------------------------------------------------------------

  async create(coupon: CouponTerms, nowMs: number, idem: Idempotency | null): Promise<Outcome<Coupon>> {
    return this.requests.run(idem, () =>
      this.requests.commit(idem, () => {
        if (this.terms())
          return failure<Coupon>(
            409,
            "resource_already_exists",
            `A coupon with id '${coupon.id}' already exists`,
            "id",
          );
        this.query(
          "INSERT INTO coupon (id, terms, created_ms) VALUES (?, ?, ?)",
          coupon.id,
          JSON.stringify(coupon),
          nowMs,
        );
        this.readModel.markChanged();
        return ok(this.view(nowMs)!, 201);
      }),
    );
  }

  async get(id: string, nowMs: number): Promise<Outcome<Coupon>> {
    const terms = this.terms();
    return terms && terms.id === id ? ok(this.view(nowMs)!) : notFound("coupon", id);
  }

  async update(id: string, patch: CouponUpdate, nowMs: number, idem: Idempotency | null): Promise<Outcome<Coupon>> {
    return this.requests.run(idem, () =>
      this.requests.commit(idem, () => {
        const terms = this.terms();
        if (!terms || terms.id !== id) return notFound<Coupon>("coupon", id);
        const metadata = mergeMetadata(terms.metadata, patch.metadata ?? {});
        if (Object.keys(metadata).length > MAX_METADATA_KEYS) return tooManyMetadataKeys<Coupon>();
        const next = { ...terms, name: patch.name ?? terms.name, metadata };
        this.query("UPDATE coupon SET terms = ?, version = version + 1", JSON.stringify(next));
        this.readModel.markChanged();
        return ok(this.view(nowMs)!);
      }),
    );
  }

  /** DELETE: no new redemption from now on; discounts already given are untouched. */
  async remove(id: string, nowMs: number): Promise<Outcome<Coupon & { deleted: true }>> {
    return this.requests.run(null, () =>
      this.requests.commit(null, () => {
        const terms = this.terms();
        if (!terms || terms.id !== id) return notFound<Coupon & { deleted: true }>("coupon", id);
        this.query("UPDATE coupon SET deleted = 1, version = version + 1");
        this.readModel.markChanged();
        return ok({ ...this.view(nowMs)!, deleted: true as const });
      }),
    );
  }

  // ---- its promotion codes -------------------------------------------------------------

  async createPromotionCode(
    input: PromotionCodeCreate,
    nowMs: number,
    idem: Idempotency | null,
  ): Promise<Outcome<PromotionCode>> {
    return this.requests.run(idem, async () => {
      const terms = this.terms();
      if (!terms || terms.id !== input.coupon)
        return failure<PromotionCode>(400, "resource_missing", `No such coupon: '${input.coupon}'`, "coupon");
      const existing = this.queryOne<{ id: string }>(
        "SELECT id FROM promotion_code WHERE code_lower = ?",
        input.code.toLowerCase(),
      );
      if (existing) return codeTaken(input.code);
      const id = this.nextPromotionCodeId(nowMs);
      const claim = await promotionCodeClaimStub(this.env, input.code).claim(terms.id, id);
      if (!claim.ok) return codeTaken(input.code);
      return this.requests.commit(idem, () => {
        if (this.queryOne("SELECT id FROM promotion_code WHERE code_lower = ?", input.code.toLowerCase()))
          return codeTaken(input.code);
        const r = input.restrictions;
        this.query(
          `INSERT INTO promotion_code (id, code, code_lower, active, customer, expires_at, max_redemptions,
             first_time_transaction, minimum_amount, minimum_amount_currency, metadata, created, created_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          id,
          input.code,
          input.code.toLowerCase(),
          input.active ? 1 : 0,
          input.customer ?? null,
          input.expires_at === undefined ? null : instantOf(input.expires_at),
          input.max_redemptions ?? null,
          r?.first_time_transaction ? 1 : 0,
          r?.minimum_amount ?? null,
          r?.minimum_amount_currency ?? null,
          JSON.stringify(input.metadata),
          instantFromMillis(nowMs),
          nowMs,
        );
        this.query("UPDATE coupon SET version = version + 1");
        this.readModel.markChanged();
        return ok(this.promotionCodeView(id)!, 201);
      });
    });
  }

  async getPromotionCode(id: string): Promise<Outcome<PromotionCode>> {
    const view = this.exists ? this.promotionCodeView(id) : null;
    return view ? ok(view) : notFound("promotion_code", id);
  }

  async updatePromotionCode(
    id: string,
    patch: PromotionCodeUpdate,
    idem: Idempotency | null,
  ): Promise<Outcome<PromotionCode>> {
    return this.requests.run(idem, () =>
      this.requests.commit(idem, () => {
        const row = this.exists ? this.promotionCodeRow(id) : undefined;
        if (!row) return notFound<PromotionCode>("promotion_code", id);
        const metadata = mergeMetadata(JSON.parse(row.metadata) as Record<string, string>, patch.metadata ?? {});
        if (Object.keys(metadata).length > MAX_METADATA_KEYS) return tooManyMetadataKeys<PromotionCode>();
        const active = patch.active ?? row.active === 1;
        this.query(
          "UPDATE promotion_code SET active = ?, metadata = ? WHERE id = ?",
          active ? 1 : 0,
          JSON.stringify(metadata),
          id,
        );
        this.query("UPDATE coupon SET version = version + 1");
        this.readModel.markChanged();
        return ok(this.promotionCodeView(id)!);
      }),
    );
  }

  /** This coupon's promotion codes, newest first (GET /v1/promotion_codes?coupon=). */
  async listPromotionCodes(
    couponId: string,
    limit: number,
    before: string | null,
    active: boolean | null,
  ): Promise<Outcome<ListPage<PromotionCode>>> {
    const terms = this.exists ? this.terms() : null;
    if (!terms || terms.id !== couponId) return ok({ object: "list", data: [], has_more: false, next_cursor: null });
    const rows = this.query<PromotionCodeRow>(
      `SELECT * FROM promotion_code WHERE (? IS NULL OR id < ?) AND (? IS NULL OR active = ?) ORDER BY id DESC LIMIT ?`,
      before,
      before,
      active === null ? null : 1,
      active ? 1 : 0,
      limit + 1,
    );
    const page = rows.slice(0, limit).map((r) => this.promotionCodeView(r.id)!);
    const more = rows.length > limit;
    return ok({ object: "list", data: page, has_more: more, next_cursor: more ? page.at(-1)!.id : null });
  }

  // ---- redemptions (rule 13a) ----------------------------------------------------------

  /**
   * Reserves one redemption for `r.key`, or refuses it (400, nothing counted). The same key
   * again answers what it answered the first time it was granted (a retry counts once).
   */
  async reserve(r: Reservation, nowMs: number): Promise<Outcome<Reserved>> {
    return this.requests.run(null, () =>
      this.requests.commit(null, () => {
        const terms = this.exists ? this.terms() : null;
        if (!terms) return refusal(r, "No such coupon.");
        const held = this.queryOne<{ status: string; times_redeemed: number }>(
          "SELECT status, times_redeemed FROM redemption WHERE key = ?",
          r.key,
        );
        if (held && held.status !== "released") return ok({ coupon: terms, timesRedeemed: held.times_redeemed });
        const code = r.promotionCode ? this.promotionCodeTerms(r.promotionCode) : null;
        if (r.promotionCode && !code) return refusal(r, `No such promotion code: '${r.promotionCode}'.`);
        const refused = redemptionRefusal(
          {
            coupon: terms,
            deleted: this.deleted(),
            couponRedeemed: this.redeemed(null),
            code,
            codeRedeemed: code ? this.redeemed(code.id) : 0,
          },
          r.request,
        );
        if (refused) return failure<Reserved>(400, refused.code, refused.message, refused.param);
        const timesRedeemed = this.redeemed(null) + 1;
        this.query(
          `INSERT INTO redemption (key, subscription, promotion_code, status, reserved_ms, times_redeemed)
           VALUES (?, ?, ?, 'reserved', ?, ?)
           ON CONFLICT(key) DO UPDATE SET status = 'reserved', reserved_ms = excluded.reserved_ms, times_redeemed = excluded.times_redeemed`,
          r.key,
          r.subscription,
          r.promotionCode,
          nowMs,
          timesRedeemed,
        );
        this.query("UPDATE coupon SET version = version + 1");
        this.readModel.markChanged();
        return ok({ coupon: terms, timesRedeemed });
      }),
    );
  }

  /** The subscription wrote its discount: the redemption stands for good. */
  async confirm(key: string): Promise<void> {
    if (!this.exists) return;
    this.transaction(() =>
      this.query("UPDATE redemption SET status = 'confirmed' WHERE key = ? AND status = 'reserved'", key),
    );
  }

  /** The subscription did not write it (refused after the reservation): it counts no more. */
  async release(key: string): Promise<void> {
    if (!this.exists) return;
    this.transaction(() => {
      this.query("UPDATE redemption SET status = 'released' WHERE key = ? AND status = 'reserved'", key);
      this.query("UPDATE coupon SET version = version + 1");
      this.readModel.markChanged();
    });
    await this.publishChanges();
  }

  // ---- the alarm: reservations left in doubt ------------------------------------------

  private nextReservationCheckAt(): number | null {
    if (!this.exists) return null;
    const oldest = this.queryOne<{ t: number | null }>(
      "SELECT MIN(reserved_ms) AS t FROM redemption WHERE status = 'reserved'",
    )?.t;
    return oldest === null || oldest === undefined ? null : oldest + RESERVATION_CHECK_MS;
  }

  /** Asks each subscription whose reservation is overdue whether it wrote the discount; settles it. */
  private async settleReservationsInDoubt(): Promise<void> {
    const due = this.query<{ key: string; subscription: string }>(
      "SELECT key, subscription FROM redemption WHERE status = 'reserved' AND reserved_ms <= ?",
      Date.now() - RESERVATION_CHECK_MS,
    );
    for (const r of due) {
      const applied = await subscriptionStub(this.env, r.subscription)?.settleRedemption(r.key);
      if (applied === true) await this.confirm(r.key);
      else await this.release(r.key);
    }
  }

  // ---- the read model: the coupon and its codes, listed in KV --------------------------

  private async writeListing(): Promise<undefined> {
    const terms = this.terms();
    const createdMs = this.queryOne<{ created_ms: number }>("SELECT created_ms FROM coupon")?.created_ms;
    if (!terms || createdMs === undefined) return;
    const kv = this.env.BILLIFY_KV;
    const puts = [kv.put(couponListKey(terms.id, createdMs), JSON.stringify(this.view(Date.now())))];
    for (const row of this.query<PromotionCodeRow>("SELECT * FROM promotion_code"))
      puts.push(kv.put(promotionCodeListKey(row.id, row.created_ms), JSON.stringify(this.promotionCodeView(row.id))));
    await Promise.all(puts);
  }

  private changeCount(): number {
    return this.queryOne<{ version: number }>("SELECT version FROM coupon")?.version ?? 0;
  }

  // ---- rows ----------------------------------------------------------------------------

  private terms(): CouponTerms | null {
    const row = this.queryOne<{ terms: string }>("SELECT terms FROM coupon");
    return row ? (JSON.parse(row.terms) as CouponTerms) : null;
  }

  private deleted(): boolean {
    return this.queryOne<{ deleted: number }>("SELECT deleted FROM coupon")?.deleted === 1;
  }

  /** Reserved and confirmed redemptions, of the coupon (null) or of one of its codes. */
  private redeemed(promotionCode: string | null): number {
    return (
      this.queryOne<{ n: number }>(
        "SELECT COUNT(*) AS n FROM redemption WHERE status <> 'released' AND (? IS NULL OR promotion_code = ?)",
        promotionCode,
        promotionCode,
      )?.n ?? 0
    );
  }

  private view(nowMs: number): Coupon | null {
    const terms = this.terms();
    if (!terms) return null;
    const redeemed = this.redeemed(null);
    return couponView(
      terms,
      redeemed,
      couponValidity(terms, this.deleted(), redeemed, instantFromMillis(nowMs)) === null,
    );
  }

  private promotionCodeRow(id: string): PromotionCodeRow | undefined {
    return this.queryOne<PromotionCodeRow>("SELECT * FROM promotion_code WHERE id = ?", id);
  }

  private promotionCodeTerms(id: string): PromotionCodeTerms | null {
    const r = this.promotionCodeRow(id);
    if (!r) return null;
    return {
      id: r.id,
      code: r.code,
      active: r.active === 1,
      customer: r.customer,
      expiresAt: r.expires_at,
      maxRedemptions: r.max_redemptions,
      firstTimeTransaction: r.first_time_transaction === 1,
      minimumAmount: r.minimum_amount,
      minimumAmountCurrency: r.minimum_amount_currency,
    };
  }

  private promotionCodeView(id: string): PromotionCode | null {
    const r = this.promotionCodeRow(id);
    const terms = this.terms();
    if (!r || !terms) return null;
    return {
      id: r.id,
      object: "promotion_code",
      code: r.code,
      coupon: terms.id,
      active: r.active === 1,
      customer: r.customer,
      expires_at: r.expires_at === null ? null : toIso(r.expires_at),
      max_redemptions: r.max_redemptions,
      times_redeemed: this.redeemed(r.id),
      restrictions: {
        first_time_transaction: r.first_time_transaction === 1,
        minimum_amount: r.minimum_amount,
        minimum_amount_currency: r.minimum_amount_currency,
      },
      metadata: JSON.parse(r.metadata) as Record<string, string>,
      created: toIso(r.created),
    };
  }

  /** `promo_<time><this actor's key>`: the time part only grows here, so ids never collide. */
  private nextPromotionCodeId(nowMs: number): string {
    const last = this.queryOne<{ last_id_ms: number }>("SELECT last_id_ms FROM coupon")!.last_id_ms;
    const ms = Math.max(nowMs, last + 1);
    this.query("UPDATE coupon SET last_id_ms = ?", ms);
    return `promo_${encodeTime(ms, 10)}${this.name}`;
  }
}

function codeTaken(code: string): Outcome<PromotionCode> {
  return failure(
    409,
    "resource_already_exists",
    `The promotion code '${code}' exists already (codes are case-insensitive).`,
    "code",
  );
}

function refusal(r: Reservation, message: string): Outcome<Reserved> {
  return r.promotionCode
    ? failure(400, "promotion_code_invalid", message, "promotion_code")
    : failure(400, "coupon_invalid", message, "coupon");
}

function instantOf(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}
