import type { Env } from "../actors/env";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    scope: "api" | "admin";
    /** The parsed JSON body of a POST/PATCH, before validation (for the idempotency fingerprint). */
    rawBody: unknown;
  };
}
