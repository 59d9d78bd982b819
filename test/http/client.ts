/**
 * A tiny client for the real-HTTP suites: `fetch` against the service of global-setup.ts.
 *
 *   const { status, json } = await api("POST", "/v1/plans", { body: { ... } });
 *
 * `body`: an object or array is sent as JSON (`Content-Type: application/json`); a string is sent
 * as is, with only the headers given (so a test can send exactly what curl sends); absent, no body
 * and no Content-Type. `key`: the bearer key (default the local API key); `null` sends none.
 */
import { inject } from "vitest";

export const API_KEY = "sk_test_local";
export const ADMIN_KEY = "sk_admin_local";

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or `undefined` when the body is not JSON. */
  json: T;
  text: string;
}

export interface ApiOptions {
  body?: unknown;
  headers?: Record<string, string>;
  key?: string | null;
}

export function serviceUrl(): string {
  return inject("serviceUrl");
}

export async function api<T = any>(method: string, path: string, options: ApiOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {};
  const key = options.key === undefined ? API_KEY : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  let body: string | undefined;
  if (typeof options.body === "string") {
    body = options.body;
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] = "application/json";
  }
  Object.assign(headers, options.headers);
  const response = await fetch(`${serviceUrl()}${path}`, { method, headers, body });
  const text = await response.text();
  let json: T;
  try {
    json = JSON.parse(text) as T;
  } catch {
    json = undefined as T;
  }
  return { status: response.status, headers: response.headers, json, text };
}
