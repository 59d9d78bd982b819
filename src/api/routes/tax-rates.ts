import { OpenAPIHono } from "@hono/zod-openapi";
import { taxRateStub } from "../../actors/stubs";
import { IdParam, ListQuery, listOf } from "../../contract/common";
import { TAX_RATE_TERMS, TaxRate, TaxRateCreate, TaxRateUpdate } from "../../contract/tax-rate";
import { TAX_RATE_LIST_PREFIX } from "../../lib/discount-catalog";
import { newId } from "../../lib/ids";
import type { AppEnv } from "../context";
import { endpoint, idempotencyOf, orNotFound, send } from "../endpoint";
import { listFromKv } from "../kv-list";
import { rejectTermChange } from "./coupons";

// Tax rates (docs/billing-rules.md rule 16): one actor per rate, listed from KV.

export function taxRateRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  endpoint(
    app,
    {
      method: "post",
      path: "/v1/tax_rates",
      operationId: "createTaxRate",
      summary: "Create a tax rate",
      tag: "Tax rates",
      body: TaxRateCreate,
      response: TaxRate,
      status: 201,
    },
    async (c, { body }) => {
      const idem = await idempotencyOf(c);
      const nowMs = Date.now();
      const id = await newId("txr", nowMs, "POST /v1/tax_rates", idem?.key);
      return send(c, await taxRateStub(c.env, id)!.create(id, body, nowMs, idem));
    },
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/tax_rates",
      operationId: "listTaxRates",
      summary: "List tax rates, newest first",
      description: "Read from the KV index: eventually consistent.",
      tag: "Tax rates",
      query: ListQuery,
      response: listOf(TaxRate, "TaxRateList"),
    },
    async (c, { query }) => c.json(await listFromKv<TaxRate>(c, TAX_RATE_LIST_PREFIX, query)),
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/tax_rates/:id",
      operationId: "getTaxRate",
      summary: "Retrieve a tax rate",
      tag: "Tax rates",
      params: IdParam,
      response: TaxRate,
    },
    async (c, { params }) =>
      send(c, await orNotFound(taxRateStub(c.env, params.id), "tax_rate", params.id).get(params.id)),
  );

  app.on("PATCH", "/v1/tax_rates/:id", async (c, next) => {
    rejectTermChange(c.get("rawBody"), TAX_RATE_TERMS, "tax rate");
    await next();
  });
  endpoint(
    app,
    {
      method: "patch",
      path: "/v1/tax_rates/:id",
      operationId: "updateTaxRate",
      summary: "Update a tax rate's display name, active flag or metadata",
      description: "A rate's terms never change: create a new rate instead.",
      tag: "Tax rates",
      params: IdParam,
      body: TaxRateUpdate,
      response: TaxRate,
    },
    async (c, { params, body }) =>
      send(c, await orNotFound(taxRateStub(c.env, params.id), "tax_rate", params.id).update(params.id, body, null)),
  );
  return app;
}
