import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";

/**
 * A refresh token is `<session id>.<secret>`, both random base64url. Only its SHA-256 is
 * stored, so a copy of the database renews no session; the session id finds the row.
 */
export const RefreshToken = z
  .string()
  .regex(/^[\w-]{22}\.[\w-]{43}$/, "not a refresh token")
  .transform((token) => ({
    sessionId: token.slice(0, 22),
    hash: refreshTokenHash(token),
  }));
export type RefreshToken = z.infer<typeof RefreshToken>;

/** A new session id: 128 random bits. */
export function newSessionId(): string {
  return randomBytes(16).toString("base64url");
}

/** A new refresh token of `sessionId`, and the hash to store. */
export function newRefreshToken(sessionId: string): { token: string; hash: string } {
  const token = `${sessionId}.${randomBytes(32).toString("base64url")}`;
  return { token, hash: refreshTokenHash(token) };
}

function refreshTokenHash(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}
