import { describe, expect, it } from "vitest";
import { loadWebConfig } from "./web-config.ts";

describe("web config", () => {
  it("serves on loopback port 8080 and reaches the chat server's default address by default", () => {
    // Act
    const config = loadWebConfig({});
    // Assess
    expect(config).toEqual({
      WEB_ADDRESS: { host: "127.0.0.1", port: 8080 },
      GRPC_TARGET: "127.0.0.1:50051",
      COOKIE_SECURE: false,
      WEB_SESSION_SECRET: undefined,
      WEB_ROOMS: ["general", "random", "deploys"],
      WEB_HEALTH_TIMEOUT_MS: 800,
      WEB_TRUSTED_PROXY_HOPS: 0,
    });
  });

  it("reads a container's settings", () => {
    const config = loadWebConfig({
      WEB_ADDRESS: "0.0.0.0:8080",
      GRPC_TARGET: "dns:///chat.slipway.svc:50051",
      COOKIE_SECURE: "true",
      WEB_SESSION_SECRET: "x".repeat(32),
      WEB_ROOMS: "general, ops ,",
    });
    expect(config.WEB_ADDRESS).toEqual({ host: "0.0.0.0", port: 8080 });
    expect(config.COOKIE_SECURE).toBe(true);
    expect(config.WEB_ROOMS).toEqual(["general", "ops"]);
  });

  it("reads an IPv6 listen address and port 0", () => {
    expect(loadWebConfig({ WEB_ADDRESS: "[::]:0" }).WEB_ADDRESS).toEqual({ host: "::", port: 0 });
  });

  it("treats an empty variable as unset", () => {
    expect(loadWebConfig({ WEB_SESSION_SECRET: "" }).WEB_SESSION_SECRET).toBeUndefined();
  });

  it("refuses a short session secret, a bad address and a bad room name", () => {
    expect(() => loadWebConfig({ WEB_SESSION_SECRET: "short" })).toThrow(/32 characters/);
    expect(() => loadWebConfig({ WEB_ADDRESS: "8080" })).toThrow(/host:port/);
    expect(() => loadWebConfig({ WEB_ADDRESS: "h:70000" })).toThrow(/65535/);
    expect(() => loadWebConfig({ WEB_ROOMS: "General Chat" })).toThrow(/a-z/);
  });
});
