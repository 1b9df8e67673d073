import { describe, expect, it } from "vitest";
import { checkSameOrigin } from "./same-origin.ts";

describe("same-origin check", () => {
  it("accepts a POST whose Origin names this host", () => {
    const verdict = checkSameOrigin({
      origin: "http://127.0.0.1:8080",
      host: "127.0.0.1:8080",
      "sec-fetch-site": "same-origin",
    });
    expect(verdict).toEqual({ kind: "same-origin" });
  });

  it("accepts an https Origin for a host whose TLS ends at the load balancer", () => {
    const verdict = checkSameOrigin({
      origin: "https://chat.example.com",
      host: "chat.example.com",
    });
    expect(verdict).toEqual({ kind: "same-origin" });
  });

  it("rejects a POST from another site", () => {
    const verdict = checkSameOrigin({ origin: "https://evil.example", host: "chat.example.com" });
    expect(verdict).toEqual({ kind: "cross-origin", reason: "Origin differs from Host" });
  });

  it("rejects a request the browser marks as cross-site even with a matching Origin", () => {
    const verdict = checkSameOrigin({
      origin: "https://chat.example.com",
      host: "chat.example.com",
      "sec-fetch-site": "cross-site",
    });
    expect(verdict.kind).toBe("cross-origin");
  });

  it("rejects a request that says nothing about its origin", () => {
    expect(checkSameOrigin({ host: "chat.example.com" }).kind).toBe("cross-origin");
  });

  it("rejects an Origin of null, as sandboxed frames send", () => {
    expect(checkSameOrigin({ origin: "null", host: "chat.example.com" }).kind).toBe("cross-origin");
  });
});
