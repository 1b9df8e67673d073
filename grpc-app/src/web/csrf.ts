import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * CSRF tokens are an HMAC of the session (OWASP's "signed double-submit" variant): the page
 * receives the token in a JSON body and echoes it in the `X-CSRF-Token` header, which a
 * cross-site form or image cannot set. Any replica with the same key verifies it, with no
 * server-side state.
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html
 */
export type CsrfKey = { readonly bytes: Buffer };

/** Builds the key from the configured secret, or a random one for a single process. */
export function csrfKey(secret: string | undefined): CsrfKey {
  return { bytes: secret === undefined ? randomBytes(32) : Buffer.from(secret, "utf8") };
}

/** The token the page must send with each state-changing request of this session. */
export function csrfToken(key: CsrfKey, session: string): string {
  return createHmac("sha256", key.bytes).update("csrf\0").update(session).digest("base64url");
}

/** Whether `presented` is this session's token, compared in constant time. */
export function csrfTokenMatches(key: CsrfKey, session: string, presented: string): boolean {
  const expected = Buffer.from(csrfToken(key, session));
  const actual = Buffer.from(presented);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
