import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { sessionFromToken } from "./session-token.ts";

const key = new TextEncoder().encode("a-test-key-of-at-least-thirty-two-bytes");
const now = new Date("2026-11-25T10:00:00Z");

function token(claims: { sub?: string; exp?: number }): Promise<string> {
  const jwt = new SignJWT({}).setProtectedHeader({ alg: "HS256" });
  if (claims.sub !== undefined) jwt.setSubject(claims.sub);
  if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
  return jwt.sign(key);
}

describe("session from the chat server's token", () => {
  it("names the user and the expiry", async () => {
    // Prepare
    const exp = now.getTime() / 1000 + 600;
    const jwt = await token({ sub: "alice", exp });
    // Act
    const session = sessionFromToken(jwt, now);
    // Assess
    expect(session).toEqual({ token: jwt, username: "alice", expiresAt: new Date(exp * 1000) });
  });

  it("is gone once the token has expired", async () => {
    const jwt = await token({ sub: "alice", exp: now.getTime() / 1000 - 1 });
    expect(sessionFromToken(jwt, now)).toBeUndefined();
  });

  it("is absent for a token without a subject or expiry", async () => {
    expect(sessionFromToken(await token({ exp: now.getTime() / 1000 + 60 }), now)).toBeUndefined();
    expect(sessionFromToken(await token({ sub: "alice" }), now)).toBeUndefined();
  });

  it("is absent for a cookie that is not a token", () => {
    expect(sessionFromToken("not-a-jwt", now)).toBeUndefined();
  });
});
