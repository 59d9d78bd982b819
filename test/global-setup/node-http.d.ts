/**
 * The sliver of Node's `http`/`net` types that the fake Stripe server (fake-stripe.ts, run by
 * vitest in Node, not in workerd) uses. The project does not depend on @types/node, whose
 * globals would clash with @cloudflare/workers-types; if it ever does, these merge with it.
 */
declare module "node:http" {
  interface IncomingMessage {
    method?: string | undefined;
    url?: string | undefined;
    headers: Record<string, string | string[] | undefined>;
    setEncoding(encoding: "utf8"): this;
    on(event: "data", listener: (chunk: string) => void): this;
    on(event: "end", listener: () => void): this;
    on(event: "error", listener: (error: Error) => void): this;
  }
  interface ServerResponse {
    writeHead(status: number, headers?: Record<string, string>): this;
    end(body?: string): this;
  }
  interface Server {
    listen(port: number, host: string, callback: () => void): this;
    address(): unknown;
    close(callback?: (error?: Error) => void): this;
  }
  function createServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Server;
}

declare module "node:net" {
  interface AddressInfo {
    address: string;
    family: string;
    port: number;
  }
}
