import type { Env } from "../actors/env";
import type { KeyRole } from "../lib/keys";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    scope: KeyRole;
    /** The id of the key that authenticated the request (src/api/keys.ts), for the audit trail. */
    keyId: string;
    /** The parsed JSON body of a POST/PATCH, before validation (for the idempotency fingerprint). */
    rawBody: unknown;
  };
}
