/**
 * Which webhook URLs the service refuses to fetch (SSRF): a host that is a loopback, private,
 * link-local (cloud metadata at 169.254.169.254 included), unspecified, shared, multicast or
 * reserved address, `localhost` or a name under it, or one of the service's own hostnames.
 * Public IP literals and public names pass. Pure: the WHATWG URL parser has already turned
 * every spelling of an IPv4 address (decimal `2130706433`, octal `0177.0.0.1`, hex `0x7f.1`)
 * into dotted quads and every IPv6 one into its compressed form, so only those forms are read.
 * Names are checked as written; what they resolve to is the network's concern (Cloudflare's
 * edge reaches no private address), README "Webhooks and emails" says so.
 */

export type RefusedClass =
  | "loopback"
  | "private"
  | "link_local"
  | "unspecified"
  | "shared"
  | "multicast"
  | "reserved"
  | "localhost"
  | "service_host";

export interface Refusal {
  host: string;
  class: RefusedClass;
}

/** [first address, prefix length, class] of every IPv4 range refused. */
const IPV4_RANGES: readonly [string, number, RefusedClass][] = [
  ["0.0.0.0", 8, "unspecified"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "shared"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link_local"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "reserved"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "reserved"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"],
];

/**
 * Why `url` must not be fetched, or null when it may. `serviceHosts`: the hostnames this
 * service answers on (a webhook to itself would call its own API with the receiver's trust).
 * A URL that does not parse is refused as reserved.
 */
export function refusedWebhookHost(url: string, serviceHosts: readonly string[] = []): Refusal | null {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return { host: url, class: "reserved" };
  }
  const verdict = (cls: RefusedClass | null): Refusal | null => (cls ? { host, class: cls } : null);
  if (host.startsWith("[")) return verdict(ipv6Class(host.slice(1, -1)));
  const v4 = parseIpv4(host);
  if (v4 !== null) return verdict(ipv4Class(v4));
  const name = host.replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) return verdict("localhost");
  const own = serviceHosts.map((h) => h.trim().toLowerCase().replace(/\.$/, "")).filter((h) => h !== "");
  return verdict(own.includes(name) ? "service_host" : null);
}

function parseIpv4(host: string): number | null {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function ipv4Class(address: number): RefusedClass | null {
  for (const [first, prefix, cls] of IPV4_RANGES) {
    const size = 2 ** (32 - prefix);
    const start = parseIpv4(first)!;
    if (address >= start && address < start + size) return cls;
  }
  return null;
}

/**
 * The eight 16-bit groups of an IPv6 address as the URL parser writes it (compressed, hex only:
 * it rewrites a dotted IPv4 tail such as `::ffff:127.0.0.1` to `::ffff:7f00:1`).
 */
function ipv6Groups(text: string): number[] | null {
  const [head, rest, ...more] = text.split("::");
  if (more.length > 0) return null;
  const read = (s: string | undefined) =>
    s ? s.split(":").map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? Number.parseInt(g, 16) : Number.NaN)) : [];
  const left = read(head);
  const right = read(rest);
  const missing = 8 - left.length - right.length;
  if ((rest === undefined && missing !== 0) || missing < 0 || [...left, ...right].some(Number.isNaN)) return null;
  return [...left, ...new Array<number>(missing).fill(0), ...right];
}

function ipv6Class(text: string): RefusedClass | null {
  const g = ipv6Groups(text);
  if (g === null) return "reserved";
  const embeddedV4 = g[6]! * 65536 + g[7]!;
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeros(8)) return "unspecified";
  if (zeros(7) && g[7] === 1) return "loopback";
  // ::ffff:a.b.c.d (IPv4-mapped), ::a.b.c.d (IPv4-compatible), 64:ff9b::a.b.c.d (NAT64): the IPv4 inside decides.
  if (zeros(5) && g[5] === 0xffff) return ipv4Class(embeddedV4);
  if (zeros(6)) return ipv4Class(embeddedV4);
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return ipv4Class(embeddedV4);
  if ((g[0]! & 0xfe00) === 0xfc00) return "private";
  if ((g[0]! & 0xffc0) === 0xfe80) return "link_local";
  if ((g[0]! & 0xffc0) === 0xfec0) return "private";
  if ((g[0]! & 0xff00) === 0xff00) return "multicast";
  return null;
}

/**
 * BILLIFY_WEBHOOK_URL_GUARD: `on` or `off`. Unset, it is on in live mode and off in test mode
 * (local receivers listen on 127.0.0.1); live mode refuses `off`.
 */
export function parseWebhookUrlGuard(value: string | undefined, mode: "test" | "live"): boolean {
  const setting = (value ?? "").trim().toLowerCase();
  if (setting === "") return mode === "live";
  if (setting !== "on" && setting !== "off") {
    throw new Error(`BILLIFY_WEBHOOK_URL_GUARD must be "on" or "off"; got "${value}"`);
  }
  if (setting === "off" && mode === "live") {
    throw new Error("BILLIFY_WEBHOOK_URL_GUARD cannot be off in live mode: webhook URLs would reach inside");
  }
  return setting === "on";
}

/**
 * The hostnames this service answers on: BILLIFY_SERVICE_HOSTNAMES (comma-separated), and the
 * host of BILLIFY_PUBLIC_URL (its customer pages' origin) when set.
 */
export function serviceHostnames(value: string | undefined, publicUrl?: string): string[] {
  const hosts = (value ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== "");
  if (publicUrl) {
    try {
      hosts.push(new URL(publicUrl).hostname.toLowerCase());
    } catch {
      // An invalid BILLIFY_PUBLIC_URL fails the configuration check at startup.
    }
  }
  return hosts;
}
