import { OpenAPIHono, z } from "@hono/zod-openapi";
import { couponStub, promotionCodeClaimStub, promotionCodeStub } from "../../actors/stubs";
import type { ListPage } from "../../contract/common";
import { IdParam, ListQuery, listOf } from "../../contract/common";
import type { PromotionCode as PromotionCodeType } from "../../contract/discount";
import {
  COUPON_TERMS,
  Coupon,
  CouponCreate,
  CouponUpdate,
  PromotionCode,
  PromotionCodeCreate,
  PromotionCodeUpdate,
} from "../../contract/discount";
import type { Coupon as CouponTerms } from "../../domain/discount";
import { parseIso } from "../../domain/time";
import { COUPON_LIST_PREFIX, PROMOTION_CODE_LIST_PREFIX } from "../../lib/discount-catalog";
import { ApiError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import type { AppEnv } from "../context";
import { endpoint, idempotencyOf, orNotFound, send } from "../endpoint";
import { listFromKv } from "../kv-list";

// Coupons and promotion codes (docs/billing-rules.md rule 13). Each coupon's actor holds it and
// its codes; lists come from the KV read model like the plan catalog.

export function couponRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  endpoint(
    app,
    {
      method: "post",
      path: "/v1/coupons",
      operationId: "createCoupon",
      summary: "Create a coupon",
      tag: "Coupons",
      body: CouponCreate,
      response: Coupon,
      status: 201,
    },
    async (c, { body }) => {
      const idem = await idempotencyOf(c);
      const nowMs = Date.now();
      const id = body.id ?? (await newId("co", nowMs, "POST /v1/coupons", idem?.key));
      const terms = couponTerms(id, body, nowMs);
      return send(c, await orNotFound(await couponStub(c.env, id), "coupon", id).create(terms, nowMs, idem));
    },
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/coupons",
      operationId: "listCoupons",
      summary: "List coupons, newest first",
      description: "Read from the KV index: eventually consistent.",
      tag: "Coupons",
      query: ListQuery,
      response: listOf(Coupon, "CouponList"),
    },
    async (c, { query }) => c.json(await listFromKv<Coupon>(c, COUPON_LIST_PREFIX, query)),
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/coupons/:id",
      operationId: "getCoupon",
      summary: "Retrieve a coupon",
      tag: "Coupons",
      params: IdParam,
      response: Coupon,
    },
    async (c, { params }) =>
      send(c, await orNotFound(await couponStub(c.env, params.id), "coupon", params.id).get(params.id, Date.now())),
  );

  app.on("PATCH", "/v1/coupons/:id", async (c, next) => {
    rejectTermChange(c.get("rawBody"), COUPON_TERMS, "coupon");
    await next();
  });
  endpoint(
    app,
    {
      method: "patch",
      path: "/v1/coupons/:id",
      operationId: "updateCoupon",
      summary: "Update a coupon's name or metadata",
      description: "A coupon's terms never change: create a new coupon instead.",
      tag: "Coupons",
      params: IdParam,
      body: CouponUpdate,
      response: Coupon,
    },
    async (c, { params, body }) =>
      send(
        c,
        await orNotFound(await couponStub(c.env, params.id), "coupon", params.id).update(
          params.id,
          body,
          Date.now(),
          null,
        ),
      ),
  );

  endpoint(
    app,
    {
      method: "delete",
      path: "/v1/coupons/:id",
      operationId: "deleteCoupon",
      summary: "Delete a coupon: no new redemptions; discounts already given stay",
      tag: "Coupons",
      params: IdParam,
      response: Coupon.extend({ deleted: z.literal(true) }).openapi("DeletedCoupon"),
    },
    async (c, { params }) =>
      send(c, await orNotFound(await couponStub(c.env, params.id), "coupon", params.id).remove(params.id, Date.now())),
  );

  // ---- promotion codes -----------------------------------------------------------------

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/promotion_codes",
      operationId: "createPromotionCode",
      summary: "Create a promotion code for a coupon",
      tag: "Coupons",
      body: PromotionCodeCreate,
      response: PromotionCode,
      status: 201,
    },
    async (c, { body }) => {
      if (body.expires_at !== undefined && parseIso(body.expires_at) === null)
        throw new ApiError(400, "parameter_invalid", "expires_at must be an ISO 8601 UTC time", "expires_at");
      const idem = await idempotencyOf(c);
      const stub = await couponStub(c.env, body.coupon);
      if (!stub) throw new ApiError(400, "resource_missing", `No such coupon: '${body.coupon}'`, "coupon");
      return send(c, await stub.createPromotionCode(body, Date.now(), idem));
    },
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/promotion_codes",
      operationId: "listPromotionCodes",
      summary: "List promotion codes, newest first",
      description:
        "`code` (case-insensitive) and `coupon` are answered by the coupon's actor (strongly consistent); " +
        "otherwise read from the KV index (eventually consistent).",
      tag: "Coupons",
      query: ListQuery.extend({
        code: z.string().min(1).max(50).optional(),
        coupon: z.string().min(1).max(64).optional(),
        active: z.enum(["true", "false"]).optional(),
      }),
      response: listOf(PromotionCode, "PromotionCodeList"),
    },
    async (c, { query }) => {
      const active = query.active === undefined ? null : query.active === "true";
      const keep = (p: PromotionCodeType) =>
        (active === null || p.active === active) && (query.coupon === undefined || p.coupon === query.coupon);
      if (query.code !== undefined) {
        const holder = await promotionCodeClaimStub(c.env, query.code).holder();
        const found = holder
          ? await promotionCodeStub(c.env, holder.promotionCode)?.getPromotionCode(holder.promotionCode)
          : null;
        const data =
          found?.ok && found.value.code.toLowerCase() === query.code.toLowerCase() && keep(found.value)
            ? [found.value]
            : [];
        const page: ListPage<PromotionCodeType> = { object: "list", data, has_more: false, next_cursor: null };
        return c.json(page);
      }
      if (query.coupon !== undefined) {
        const stub = await couponStub(c.env, query.coupon);
        const cursor = query.cursor ?? null;
        if (cursor !== null && !/^promo_[0-9A-HJKMNP-TV-Z]{26}$/.test(cursor))
          throw new ApiError(
            400,
            "parameter_invalid",
            "Invalid cursor: pass a next_cursor from a previous page of this list.",
            "cursor",
          );
        if (!stub) return c.json({ object: "list", data: [], has_more: false, next_cursor: null });
        return send(c, await stub.listPromotionCodes(query.coupon, query.limit, cursor, active));
      }
      return c.json(await listFromKv<PromotionCodeType>(c, PROMOTION_CODE_LIST_PREFIX, query, { keep }));
    },
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/promotion_codes/:id",
      operationId: "getPromotionCode",
      summary: "Retrieve a promotion code",
      tag: "Coupons",
      params: IdParam,
      response: PromotionCode,
    },
    async (c, { params }) =>
      send(
        c,
        await orNotFound(promotionCodeStub(c.env, params.id), "promotion_code", params.id).getPromotionCode(params.id),
      ),
  );

  app.on("PATCH", "/v1/promotion_codes/:id", async (c, next) => {
    rejectTermChange(
      c.get("rawBody"),
      ["id", "code", "coupon", "customer", "expires_at", "max_redemptions", "restrictions"],
      "promotion code",
    );
    await next();
  });
  endpoint(
    app,
    {
      method: "patch",
      path: "/v1/promotion_codes/:id",
      operationId: "updatePromotionCode",
      summary: "Update a promotion code's active flag or metadata",
      tag: "Coupons",
      params: IdParam,
      body: PromotionCodeUpdate,
      response: PromotionCode,
    },
    async (c, { params, body }) =>
      send(
        c,
        await orNotFound(promotionCodeStub(c.env, params.id), "promotion_code", params.id).updatePromotionCode(
          params.id,
          body,
          null,
        ),
      ),
  );
  return app;
}

/** The coupon's terms from a valid create body (percent kept in hundredths: no float on the money path). */
function couponTerms(id: string, body: CouponCreate, nowMs: number): CouponTerms {
  let redeemBy: number | null = null;
  if (body.redeem_by !== undefined) {
    redeemBy = parseIso(body.redeem_by);
    if (redeemBy === null)
      throw new ApiError(400, "parameter_invalid", "redeem_by must be an ISO 8601 UTC time", "redeem_by");
  }
  return {
    id,
    name: body.name ?? null,
    percentOffHundredths: body.percent_off === undefined ? null : Math.round(body.percent_off * 100),
    amountOff: body.amount_off ?? null,
    currency: body.currency ?? null,
    duration: body.duration,
    durationInMonths: body.duration_in_months ?? null,
    maxRedemptions: body.max_redemptions ?? null,
    redeemBy,
    appliesToPlans: body.applies_to?.plans ?? null,
    metadata: body.metadata,
    created: Math.floor(nowMs / 1000),
  };
}

/** Runs before zod so that changing a term gets a message that says why. */
export function rejectTermChange(raw: unknown, terms: readonly string[], what: string): void {
  if (!raw || typeof raw !== "object") return;
  const term = terms.find((t) => t in raw);
  if (term)
    throw new ApiError(
      400,
      `${what.replace(/ /g, "_")}_terms_immutable`,
      `A ${what}'s '${term}' cannot change once created; create a new ${what} instead.`,
      term,
    );
}
