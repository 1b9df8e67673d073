/**
 * The session cookie carries the chat server's signed token. HttpOnly keeps it from page
 * scripts; SameSite=Strict keeps browsers from sending it on cross-site requests; Secure
 * (behind HTTPS) keeps it off plain http. Its lifetime matches the token's.
 */
export const sessionCookieName = "slipway_session";

/**
 * The refresh token lives in its own cookie, HttpOnly and SameSite=Strict as well, sent only
 * to /api/ (never with the page or its files), and lasting as long as the refresh token.
 */
export const refreshCookieName = "slipway_refresh";

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

/** The Set-Cookie value that stores `refreshToken` until `expiresAt`, for /api/ only. */
export function refreshCookie(
  refreshToken: string,
  expiresAt: Date,
  now: Date,
  options: CookieOptions,
): string {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - now.getTime()) / 1000));
  return attributes(`${refreshCookieName}=${refreshToken}`, maxAge, options, "/api/");
}

/** The Set-Cookie value that makes the browser forget the session. */
export function clearedSessionCookie(options: CookieOptions): string {
  return attributes(`${sessionCookieName}=`, 0, options);
}

/** The Set-Cookie values that make the browser forget both tokens (logout, a dead session). */
export function clearedSessionCookies(options: CookieOptions): string[] {
  return [clearedSessionCookie(options), attributes(`${refreshCookieName}=`, 0, options, "/api/")];
}

/** The session token from a Cookie header, if there is one. */
export function sessionFromCookieHeader(header: string | undefined): string | undefined {
  return cookieValue(header, sessionCookieName);
}

/** The refresh token from a Cookie header, if there is one. */
export function refreshFromCookieHeader(header: string | undefined): string | undefined {
  return cookieValue(header, refreshCookieName);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    const value = pair.slice(eq + 1).trim();
    return value === "" ? undefined : value;
  }
  return undefined;
}

function attributes(pair: string, maxAge: number, { secure }: CookieOptions, path = "/"): string {
  return `${pair}; Path=${path}; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
}
