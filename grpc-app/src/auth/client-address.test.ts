import { describe, expect, it } from "vitest";
import { addressKey, clientAddress, peerHost } from "./client-address.ts";

describe("client address", () => {
  it("is the peer when no proxy is trusted, whatever X-Forwarded-For claims", () => {
    expect(clientAddress("10.0.0.9", ["203.0.113.7"], 0)).toBe("10.0.0.9");
  });

  it("is the right-most entry behind one proxy, not what the client put before it", () => {
    const forged = "198.51.100.1, 198.51.100.2";

    expect(clientAddress("10.0.0.9", [`${forged}, 203.0.113.7`], 1)).toBe("203.0.113.7");
    expect(clientAddress("10.0.0.9", [forged, "203.0.113.7"], 1)).toBe("203.0.113.7");
  });

  it("counts hops from the right behind two proxies", () => {
    expect(clientAddress("10.0.0.9", ["1.1.1.1, 203.0.113.7, 10.0.0.5"], 2)).toBe("203.0.113.7");
  });

  it("falls back to the peer without the header or with a malformed entry", () => {
    expect(clientAddress("10.0.0.9", [], 1)).toBe("10.0.0.9");
    expect(clientAddress("10.0.0.9", ["not-an-address"], 1)).toBe("10.0.0.9");
  });

  it("keys IPv4-mapped addresses as IPv4 and IPv6 ones by their /64", () => {
    expect(addressKey("::ffff:192.0.2.4")).toBe("192.0.2.4");
    expect(addressKey("192.0.2.4")).toBe("192.0.2.4");
    expect(addressKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8:1:2::ffff")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
  });

  it("takes the host from a grpc-js peer string", () => {
    expect(peerHost("127.0.0.1:50051")).toBe("127.0.0.1");
    expect(peerHost("::1:50051")).toBe("::1");
    expect(peerHost("[::1]:50051")).toBe("::1");
  });
});
