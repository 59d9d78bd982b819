import type { Lobby } from "partyserver";
import { routePartykitRequest } from "partyserver";
import type { Env } from "../actors/env";
import { base64url, fromBase64url } from "../lib/bytes";
import { routingKeyOf } from "../lib/ids";
import { adminKeys } from "../lib/keys";

/**
 * Live updates of the dashboard's subscription page: the browser opens partyserver's
 * WebSocket to that subscription's own actor (binding SUBSCRIPTIONS, so the party
 * `subscriptions`), which broadcasts after each committed change. The connection is authenticated with a short-lived token signed with
 * the admin key and minted by an admin-authenticated route, so the key never sits in a URL.
 */
const LIVE_PREFIX = "/parties/subscriptions/";
const LIVE_TOKEN_TTL_SECONDS = 60;

interface TokenClaims {
  sub: string;
  exp: number;
}

export async function mintLiveToken(adminKey: string, subscriptionId: string, nowMs: number) {
  const claims: TokenClaims = { sub: subscriptionId, exp: Math.floor(nowMs / 1000) + LIVE_TOKEN_TTL_SECONDS };
  const payload = base64url(new TextEncoder().encode(JSON.stringify(claims)));
  const token = `${payload}.${await sign(adminKey, payload)}`;
  const key = routingKeyOf(subscriptionId, "sub")!;
  return { token, path: `${LIVE_PREFIX}${key}?token=${encodeURIComponent(token)}`, expires: claims.exp };
}

/** The subscription the token was minted for, if its signature holds and it has not expired. */
async function verifyLiveToken(adminKey: string, token: string, nowMs: number): Promise<string | null> {
  const [payload, signature] = token.split(".");
  if (!payload || !signature) return null;
  const expected = await sign(adminKey, payload);
  const a = new TextEncoder().encode(expected);
  const b = new TextEncoder().encode(signature);
  if (a.byteLength !== b.byteLength || !crypto.subtle.timingSafeEqual(a, b)) return null;
  let claims: TokenClaims;
  try {
    claims = JSON.parse(new TextDecoder().decode(fromBase64url(payload))) as TokenClaims;
  } catch {
    return null;
  }
  return typeof claims.sub === "string" && typeof claims.exp === "number" && claims.exp * 1000 > nowMs
    ? claims.sub
    : null;
}

/**
 * Routes /parties/subscriptions/<routing key>?token=… to the actor through partyserver, after
 * `onBeforeConnect` checked the token names this very subscription. Only WebSocket upgrades
 * pass: a plain request to an actor through this path is refused.
 */
export async function routeLiveRequest(request: Request, env: Env): Promise<Response | null> {
  const url = new URL(request.url);
  if (!url.pathname.startsWith(LIVE_PREFIX)) return null;
  const refuse = (status: number, message: string) => new Response(message, { status });
  const response = await routePartykitRequest(request, env, {
    onBeforeRequest: () => refuse(426, "Open a WebSocket here (with a token from POST /v1/admin/live_tokens)."),
    onBeforeConnect: async (req: Request, lobby: Lobby<Env>) => {
      const keys = adminKeys(env);
      if (lobby.className !== "SUBSCRIPTIONS" || keys.length === 0) return refuse(403, "forbidden");
      const token = new URL(req.url).searchParams.get("token") ?? "";
      // Any admin key verifies: a token minted just before a rotation stays good until it expires.
      let subscription: string | null = null;
      for (const key of keys) subscription ??= await verifyLiveToken(key, token, Date.now());
      if (!subscription || routingKeyOf(subscription, "sub") !== lobby.name)
        return refuse(401, "invalid or expired live token");
      return undefined;
    },
  });
  return response ?? refuse(404, "not found");
}

async function sign(secret: string, payload: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(`billify-live:${secret}`),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(payload));
  return base64url(new Uint8Array(mac));
}
