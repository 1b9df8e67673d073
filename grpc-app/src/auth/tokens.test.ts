import { describe, expect, it } from "vitest";
import { createTokenIssuer } from "./tokens.ts";

const secret = "unit-test-secret-0123456789abcdefghij";

describe("tokens", () => {
  it("verifies a token it issued and names its user", async () => {
    const tokens = createTokenIssuer({ secret, ttlSeconds: 60 });
    const { token, jti, expiresAt } = await tokens.issue("alice", "session-1");

    expect(await tokens.verify(token)).toEqual({
      ok: true,
      username: "alice",
      jti,
      sessionId: "session-1",
      expiresAt,
    });
  });

  it("refuses a token once it has expired", async () => {
    let now = new Date("2026-01-01T00:00:00Z");
    const tokens = createTokenIssuer({ secret, ttlSeconds: 60, now: () => now });
    const { token, expiresAt } = await tokens.issue("alice", "session-1");
    now = new Date(expiresAt.getTime() + 1000);

    expect(await tokens.verify(token)).toEqual({ ok: false, reason: "expired" });
  });

  it("names each token apart, so one can be revoked alone", async () => {
    const tokens = createTokenIssuer({ secret, ttlSeconds: 60 });

    const [first, second] = await Promise.all([
      tokens.issue("alice", "session-1"),
      tokens.issue("alice", "session-1"),
    ]);

    expect(first.jti).not.toBe(second.jti);
  });

  it("refuses a token signed with another secret", async () => {
    const other = createTokenIssuer({ secret: `${secret}-other`, ttlSeconds: 60 });
    const { token } = await other.issue("alice", "session-1");

    const check = await createTokenIssuer({ secret, ttlSeconds: 60 }).verify(token);

    expect(check).toEqual({ ok: false, reason: "invalid" });
  });
});
