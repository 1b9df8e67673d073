import type { OutgoingHttpHeaders, ServerResponse } from "node:http";

/**
 * Sent with every response. The CSP allows only this origin's own files (no inline script or
 * style, so injected markup cannot run) and forbids framing (clickjacking).
 * @see https://cheatsheetseries.owasp.org/cheatsheets/HTTP_Headers_Cheat_Sheet.html
 */
export function securityHeaders(https: boolean): Record<string, string> {
  return {
    "content-security-policy": [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self'",
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join("; "),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    ...(https ? { "strict-transport-security": "max-age=31536000" } : {}),
  };
}

/** Answers with a JSON body that is never cached (it may be about a session). */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(payload),
    "cache-control": "no-store",
  });
  response.end(payload);
}

/** Why a request was refused, for the page to act on (for instance, fetch a new CSRF token). */
export type ErrorCode =
  | "csrf-token"
  | "cross-origin"
  | "signed-out"
  /** Signed out, but a refresh cookie is there: POST /api/session/refresh may sign back in. */
  | "renewable"
  | "unavailable"
  | "rate-limited"
  | "superseded";

/** Answers with `{ "error": message, "code"? }`, the one error shape the page reads. */
export function sendError(
  response: ServerResponse,
  status: number,
  message: string,
  code?: ErrorCode,
  headers: OutgoingHttpHeaders = {},
): void {
  sendJson(
    response,
    status,
    code === undefined ? { error: message } : { error: message, code },
    headers,
  );
}
