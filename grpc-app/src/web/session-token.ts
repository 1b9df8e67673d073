import { decodeJwt } from "jose";

export type Session = {
  readonly token: string;
  readonly username: string;
  readonly expiresAt: Date;
};

/**
 * Reads the chat server's token to greet the user and drop expired sessions early. It does
 * not verify the signature: the web client holds no token key, and the chat server checks
 * every call, so a forged cookie shows a name and then fails with UNAUTHENTICATED.
 */
export function sessionFromToken(token: string, now: Date): Session | undefined {
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(token);
  } catch {
    return undefined;
  }
  if (typeof claims.sub !== "string" || claims.sub === "" || claims.exp === undefined) {
    return undefined;
  }
  const expiresAt = new Date(claims.exp * 1000);
  return expiresAt > now ? { token, username: claims.sub, expiresAt } : undefined;
}
