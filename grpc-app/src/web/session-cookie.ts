/**
 * The session cookie carries the chat server's signed token. HttpOnly keeps it from page
 * scripts; SameSite=Strict keeps browsers from sending it on cross-site requests; Secure
 * (behind HTTPS) keeps it off plain http. Its lifetime matches the token's.
 */
export const sessionCookieName = "slipway_session";

export type CookieOptions = { readonly secure: boolean };

/** The Set-Cookie value that stores `token` until `expiresAt`. */
export function sessionCookie(
  token: string,
  expiresAt: Date,
  now: Date,
  options: CookieOptions,
): string {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - now.getTime()) / 1000));
  return attributes(`${sessionCookieName}=${token}`, maxAge, options);
}

/** The Set-Cookie value that makes the browser forget the session. */
export function clearedSessionCookie(options: CookieOptions): string {
  return attributes(`${sessionCookieName}=`, 0, options);
}

/** The session token from a Cookie header, if there is one. */
export function sessionFromCookieHeader(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq < 0 || pair.slice(0, eq).trim() !== sessionCookieName) continue;
    const value = pair.slice(eq + 1).trim();
    return value === "" ? undefined : value;
  }
  return undefined;
}

function attributes(pair: string, maxAge: number, { secure }: CookieOptions): string {
  return `${pair}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
}
