import { describe, expect, it } from "vitest";
import { parseWebhookUrlGuard, refusedWebhookHost, serviceHostnames } from "../../src/notifications/webhooks/url-guard";

const classOf = (url: string, own: string[] = []) => refusedWebhookHost(url, own)?.class ?? "allowed";

describe("webhook URL guard (SSRF)", () => {
  it.each([
    // IPv4 literals, one per class
    ["http://127.0.0.1/hook", "loopback"],
    ["https://127.255.255.254/", "loopback"],
    ["https://10.0.0.1/", "private"],
    ["https://172.16.0.1/", "private"],
    ["https://172.31.255.255/", "private"],
    ["https://192.168.1.20:8443/x", "private"],
    ["http://169.254.169.254/latest/meta-data/", "link_local"],
    ["https://169.254.0.1/", "link_local"],
    ["https://0.0.0.0/", "unspecified"],
    ["https://100.64.0.1/", "shared"],
    ["https://224.0.0.1/", "multicast"],
    ["https://255.255.255.255/", "reserved"],
    // Other spellings of IPv4 that the URL parser turns into dotted quads
    ["http://2130706433/", "loopback"],
    ["http://0x7f.0.0.1/", "loopback"],
    ["http://0x7f000001/", "loopback"],
    ["http://0177.0.0.1/", "loopback"],
    ["http://127.1/", "loopback"],
    ["http://0xa9fea9fe/", "link_local"],
    ["http://025177524776/", "link_local"],
    ["http://3232235777/", "private"],
    // IPv6
    ["http://[::1]/", "loopback"],
    ["http://[0:0:0:0:0:0:0:1]/", "loopback"],
    ["http://[::]/", "unspecified"],
    ["https://[fc00::1]/", "private"],
    ["https://[fd12:3456:789a::1]/", "private"],
    ["https://[fe80::1]/", "link_local"],
    ["https://[febf:ffff::1]/", "link_local"],
    ["https://[ff02::1]/", "multicast"],
    // IPv4-mapped, IPv4-compatible and NAT64 IPv6: the IPv4 inside decides
    ["http://[::ffff:127.0.0.1]/", "loopback"],
    ["http://[::ffff:7f00:1]/", "loopback"],
    ["http://[::ffff:169.254.169.254]/", "link_local"],
    ["http://[::ffff:10.1.2.3]/", "private"],
    ["http://[::127.0.0.1]/", "loopback"],
    ["http://[64:ff9b::192.168.0.1]/", "private"],
    // Names
    ["http://localhost:8787/", "localhost"],
    ["http://LOCALHOST./", "localhost"],
    ["http://api.localhost/", "localhost"],
  ])("refuses %s as %s", (url, expected) => {
    expect(classOf(url)).toBe(expected);
  });

  it.each([
    "https://example.com/hooks",
    "https://hooks.example.co.uk:8443/billify",
    "https://93.184.216.34/",
    "https://8.8.8.8/",
    "https://172.32.0.1/",
    "https://192.169.0.1/",
    "https://100.128.0.1/",
    "https://[2606:4700:4700::1111]/",
    "https://[::ffff:8.8.8.8]/",
    "https://localhost.example.com/",
  ])("lets the public URL %s through", (url) => {
    expect(classOf(url)).toBe("allowed");
  });

  it("refuses the service's own hostnames, in any case, with or without a trailing dot", () => {
    const own = serviceHostnames(" billing.example.com , billify.acme.workers.dev");
    expect(own).toEqual(["billing.example.com", "billify.acme.workers.dev"]);
    expect(classOf("https://Billing.Example.com./v1/customers", own)).toBe("service_host");
    expect(classOf("https://billify.acme.workers.dev/", own)).toBe("service_host");
    expect(classOf("https://other.example.com/", own)).toBe("allowed");
  });

  it("counts the host of BILLIFY_PUBLIC_URL as the service's own", () => {
    const own = serviceHostnames(undefined, "https://Billing.Example.com/");
    expect(own).toEqual(["billing.example.com"]);
    expect(classOf("https://billing.example.com/v1/customers", own)).toBe("service_host");
  });

  it("names the host it refused", () => {
    expect(refusedWebhookHost("http://2130706433/x")).toEqual({ host: "127.0.0.1", class: "loopback" });
  });

  it("is on by default in live mode, off in test mode, and cannot be turned off in live mode", () => {
    expect(parseWebhookUrlGuard(undefined, "live")).toBe(true);
    expect(parseWebhookUrlGuard(undefined, "test")).toBe(false);
    expect(parseWebhookUrlGuard("on", "test")).toBe(true);
    expect(parseWebhookUrlGuard("off", "test")).toBe(false);
    expect(() => parseWebhookUrlGuard("off", "live")).toThrow(/cannot be off in live mode/);
    expect(() => parseWebhookUrlGuard("yes", "test")).toThrow(/must be "on" or "off"/);
  });
});
