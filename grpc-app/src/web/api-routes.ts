import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { clientAddress } from "../auth/client-address.ts";
import { csrfToken, csrfTokenMatches } from "./csrf.ts";
import { readJsonBody } from "./http-body.ts";
import { sendError, sendJson } from "./http-response.ts";
import { clearedSessionCookie, sessionCookie } from "./session-cookie.ts";
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

/** What the page learns about its session: never the token itself. */
function sessionView(context: WebContext, session: Session) {
  return {
    username: session.username,
    csrfToken: csrfToken(context.csrf, session.token),
    rooms: context.rooms,
  };
}

/** GET /api/session: who is signed in, with the CSRF token for this session. */
export function getSession(
  context: WebContext,
  request: IncomingMessage,
  response: ServerResponse,
) {
  const session = requestSession(context, request);
  if (session === undefined) {
    sendError(response, 401, "Not signed in.", "signed-out");
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
  // The token's subject is the name the chat server will stamp on notes; prefer it.
  const session = sessionFromToken(outcome.token, context.now()) ?? {
    token: outcome.token,
    username: body.username,
    expiresAt: outcome.expiresAt,
  };
  const cookie = sessionCookie(outcome.token, outcome.expiresAt, context.now(), {
    secure: context.cookieSecure,
  });
  context.logger.info("web.login", { username: session.username });
  sendJson(response, 200, sessionView(context, session), { "set-cookie": cookie });
}

function headerValues(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function waitText(seconds: number): string {
  return seconds < 90 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`;
}

/** POST /api/logout: the browser forgets the token. */
export function postLogout(context: WebContext, session: Session, response: ServerResponse) {
  context.logger.info("web.logout", { username: session.username });
  response.writeHead(204, {
    "set-cookie": clearedSessionCookie({ secure: context.cookieSecure }),
    "cache-control": "no-store",
  });
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
      sendError(response, 401, "Your session has ended. Sign in again.", "signed-out", {
        "set-cookie": clearedSessionCookie({ secure: context.cookieSecure }),
      });
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
