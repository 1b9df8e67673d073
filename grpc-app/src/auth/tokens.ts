import { errors, jwtVerify, SignJWT } from "jose";

const algorithm = "HS256";
const issuer = "slipway-chat";

export type TokenIssuer = {
  /** Signs a token for `username` that expires after the configured TTL. */
  issue(username: string): Promise<{ token: string; expiresAt: Date }>;
  /** The username a token was issued to, or why it is refused. */
  verify(token: string): Promise<TokenCheck>;
};

export type TokenCheck =
  | { ok: true; username: string }
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
    async issue(username) {
      const issuedAt = Math.floor(now().getTime() / 1000);
      const expiresAt = issuedAt + options.ttlSeconds;
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: algorithm })
        .setIssuer(issuer)
        .setSubject(username)
        .setIssuedAt(issuedAt)
        .setExpirationTime(expiresAt)
        .sign(key);
      return { token, expiresAt: new Date(expiresAt * 1000) };
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: [algorithm],
          issuer,
          requiredClaims: ["exp", "sub"],
          currentDate: now(),
        });
        return payload.sub ? { ok: true, username: payload.sub } : { ok: false, reason: "invalid" };
      } catch (error) {
        if (error instanceof errors.JWTExpired) return { ok: false, reason: "expired" };
        return { ok: false, reason: "invalid" };
      }
    },
  };
}
