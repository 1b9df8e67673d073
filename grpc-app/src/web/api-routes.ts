import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { clientAddress } from "../auth/client-address.ts";
import type { SessionTokens } from "./chat-gateway.ts";
import { csrfToken, csrfTokenMatches } from "./csrf.ts";
import { readJsonBody } from "./http-body.ts";
import { sendError, sendJson } from "./http-response.ts";
import {
  clearedSessionCookies,
  refreshCookie,
  refreshFromCookieHeader,
  sessionCookie,
} from "./session-cookie.ts";
import { type Session, sessionFromToken } from "./session-token.ts";
import { requestSession, type WebContext } from "./web-context.ts";

/** The login form's fields. Limits only bound the work; the chat server judges them. */
export const LoginBody = z.object({
  username: z.string().trim().min(1, "enter a username").max(64),
  password: z.string().min(1, "enter a password").max(1024),
});
export type LoginBody = z.infer<typeof LoginBody>;

/** A note from the send box; the chat server enforces its own byte limit too. */
export const NoteBody = z.object({
  text: z.string().trim().min(1, "write something first").max(4096),
});
export type NoteBody = z.infer<typeof NoteBody>;

const csrfHeader = "x-csrf-token";

/**
 * What the page learns about its session: never a token itself. `expiresAt` is when the
 * access token ends, so the page refreshes before it.
 */
function sessionView(context: WebContext, session: Session) {
  return {
    username: session.username,
    csrfToken: csrfToken(context.csrf, session.token),
    rooms: context.rooms,
    expiresAt: session.expiresAt.toISOString(),
  };
}

/** Answers with the session of fresh tokens, stored in both cookies. */
function sendSession(
  context: WebContext,
  response: ServerResponse,
  tokens: SessionTokens,
  fallbackUsername: string,
) {
  // The token's subject is the name the chat server will stamp on notes; prefer it.
  const session = sessionFromToken(tokens.token, context.now()) ?? {
    token: tokens.token,
    username: fallbackUsername,
    expiresAt: tokens.expiresAt,
  };
  const options = { secure: context.cookieSecure };
  const cookies = [
    sessionCookie(tokens.token, tokens.expiresAt, context.now(), options),
    refreshCookie(tokens.refreshToken, tokens.refreshExpiresAt, context.now(), options),
  ];
  sendJson(response, 200, sessionView(context, session), { "set-cookie": cookies });
  return session;
}

/** GET /api/session: who is signed in, with the CSRF token for this session. */
export function getSession(
  context: WebContext,
  request: IncomingMessage,
  response: ServerResponse,
) {
  const session = requestSession(context, request);
  if (session === undefined) {
    // The page cannot see the HttpOnly refresh cookie: say whether a refresh could help, so a
    // new visitor sees the form after one request instead of after a refresh that must fail.
    const renewable = refreshFromCookieHeader(request.headers.cookie) !== undefined;
    sendError(response, 401, "Not signed in.", renewable ? "renewable" : "signed-out");
    return;
  }
  sendJson(response, 200, sessionView(context, session));
}

/** POST /api/login: exchanges the form for the chat server's token, kept in the cookie. */
export async function postLogin(
  context: WebContext,
  request: IncomingMessage,
  response: ServerResponse,
) {
  const body = await readJsonBody(request, LoginBody);
  const address = clientAddress(
    request.socket.remoteAddress ?? "unknown",
    headerValues(request.headers["x-forwarded-for"]),
    context.trustedProxyHops,
  );
  const outcome = await context.gateway.login(body.username, body.password, address);
  switch (outcome.kind) {
    case "rejected":
      context.logger.info("web.login.rejected", { username: body.username });
      sendError(response, 401, "Wrong username or password.");
      return;
    case "limited":
      context.logger.warn("web.login.limited", { username: body.username, address });
      sendError(
        response,
        429,
        `Too many sign-in attempts. Try again in ${waitText(outcome.retryAfterSeconds)}.`,
        "rate-limited",
        { "retry-after": String(outcome.retryAfterSeconds) },
      );
      return;
    case "busy":
      sendError(response, 503, "Sign-in is busy. Try again in a moment.", "unavailable", {
        "retry-after": String(outcome.retryAfterSeconds),
      });
      return;
    case "signed-in":
      break;
  }
  const session = sendSession(context, response, outcome, body.username);
  context.logger.info("web.login", { username: session.username });
}

/**
 * POST /api/session/refresh: spends the refresh cookie for new tokens in both cookies. It
 * needs no CSRF token (the access token it derives from may have expired): the same-origin
 * check and SameSite=Strict keep other sites out, and a forced refresh only renews.
 */
export async function postRefresh(
  context: WebContext,
  request: IncomingMessage,
  response: ServerResponse,
) {
  const refreshToken = refreshFromCookieHeader(request.headers.cookie);
  const outcome =
    refreshToken === undefined
      ? ({ kind: "rejected" } as const)
      : await context.gateway.refresh(refreshToken);
  if (outcome.kind === "rejected") {
    sendError(response, 401, "Your session has ended. Sign in again.", "signed-out", {
      "set-cookie": clearedSessionCookies({ secure: context.cookieSecure }),
    });
    return;
  }
  if (outcome.kind === "superseded") {
    // No cookies: the request that won has set newer ones, which clearing would destroy.
    sendError(response, 409, "The session was just renewed; use the new one.", "superseded");
    return;
  }
  const session = sendSession(context, response, outcome, "");
  context.logger.info("web.session.refreshed", { username: session.username });
}

function headerValues(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function waitText(seconds: number): string {
  return seconds < 90 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`;
}

/**
 * POST /api/logout: the chat server revokes the access token and ends the session (for every
 * replica), and the browser forgets both cookies. `session` is undefined when the access
 * token has already expired; the refresh cookie still names the session to end.
 */
export async function postLogout(
  context: WebContext,
  session: Session | undefined,
  request: IncomingMessage,
  response: ServerResponse,
) {
  const cleared = { "set-cookie": clearedSessionCookies({ secure: context.cookieSecure }) };
  const refreshToken = refreshFromCookieHeader(request.headers.cookie);
  try {
    await context.gateway.logout({ token: session?.token, refreshToken });
  } catch (error) {
    // Forgotten here all the same; the tokens then end at their expiry.
    context.logger.warn("web.logout.unrevoked", { username: session?.username, error });
    sendError(
      response,
      503,
      "Signed out here, but the server could not end the session.",
      "unavailable",
      cleared,
    );
    return;
  }
  context.logger.info("web.logout", { username: session?.username });
  response.writeHead(204, { ...cleared, "cache-control": "no-store" });
  response.end();
}

/** POST /api/rooms/:room/notes: sends a note; it reaches the page through the event stream. */
export async function postNote(
  context: WebContext,
  session: Session,
  room: string,
  request: IncomingMessage,
  response: ServerResponse,
) {
  const body = await readJsonBody(request, NoteBody);
  const outcome = await context.gateway.sendNote(session.token, room, body.text);
  switch (outcome.kind) {
    case "sent":
      sendJson(response, 201, { id: outcome.id });
      return;
    case "unauthenticated":
      // Only the access cookie: it may just have expired, and the refresh cookie renews it.
      sendError(response, 401, "Your session has ended. Sign in again.", "signed-out");
      return;
    case "invalid":
      sendError(response, 400, outcome.message);
      return;
  }
}

/**
 * The session of a state-changing request, or undefined after answering 401 or 403. The
 * token must be this session's HMAC, which a cross-site page cannot read or forge.
 */
export function authorizeChange(
  context: WebContext,
  request: IncomingMessage,
  response: ServerResponse,
): Session | undefined {
  const session = requestSession(context, request);
  if (session === undefined) {
    sendError(response, 401, "Not signed in.", "signed-out");
    return undefined;
  }
  const presented = request.headers[csrfHeader];
  if (typeof presented !== "string" || !csrfTokenMatches(context.csrf, session.token, presented)) {
    sendError(response, 403, "The page's security token is stale; reload it.", "csrf-token");
    return undefined;
  }
  return session;
}
