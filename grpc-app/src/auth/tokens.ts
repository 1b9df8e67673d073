import { randomBytes } from "node:crypto";
import { errors, jwtVerify, SignJWT } from "jose";

const algorithm = "HS256";
const issuer = "slipway-chat";

/** An access token as issued: `jti` names it for revocation, `sessionId` its refresh family. */
export type IssuedToken = { token: string; expiresAt: Date; jti: string };

/** What a verified access token says. */
export type VerifiedToken = { username: string; jti: string; sessionId: string; expiresAt: Date };

export type TokenIssuer = {
  /** Signs an access token for `username` in session `sessionId`, expiring after the TTL. */
  issue(username: string, sessionId: string): Promise<IssuedToken>;
  /** What a token says, or why it is refused. Revocation is the caller's second check. */
  verify(token: string): Promise<TokenCheck>;
};

export type TokenCheck =
  | ({ ok: true } & VerifiedToken)
  | { ok: false; reason: "expired" | "invalid" };

/** Issues and checks HS256 JWTs with a shared secret, so any replica accepts any replica's. */
export function createTokenIssuer(options: {
  secret: string;
  ttlSeconds: number;
  now?: () => Date;
}): TokenIssuer {
  const key = new TextEncoder().encode(options.secret);
  const now = options.now ?? (() => new Date());
  return {
    async issue(username, sessionId) {
      const issuedAt = Math.floor(now().getTime() / 1000);
      const expiresAt = issuedAt + options.ttlSeconds;
      const jti = randomBytes(16).toString("base64url");
      const token = await new SignJWT({ sid: sessionId })
        .setProtectedHeader({ alg: algorithm })
        .setIssuer(issuer)
        .setSubject(username)
        .setJti(jti)
        .setIssuedAt(issuedAt)
        .setExpirationTime(expiresAt)
        .sign(key);
      return { token, expiresAt: new Date(expiresAt * 1000), jti };
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: [algorithm],
          issuer,
          // Tokens from before revocation existed carry no jti or sid: refused, so that every
          // accepted token can be revoked (a deploy signs their holders out once).
          requiredClaims: ["exp", "sub", "jti", "sid"],
          currentDate: now(),
        });
        const { sub, jti, sid, exp } = payload;
        if (!sub || !jti || typeof sid !== "string" || sid === "" || exp === undefined) {
          return { ok: false, reason: "invalid" };
        }
        return { ok: true, username: sub, jti, sessionId: sid, expiresAt: new Date(exp * 1000) };
      } catch (error) {
        if (error instanceof errors.JWTExpired) return { ok: false, reason: "expired" };
        return { ok: false, reason: "invalid" };
      }
    },
  };
}
