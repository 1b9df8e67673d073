import type { IncomingMessage } from "node:http";
import type { Logger } from "../log/logger.ts";
import type { ChatGateway } from "./chat-gateway.ts";
import type { CsrfKey } from "./csrf.ts";
import { sessionFromCookieHeader } from "./session-cookie.ts";
import { type Session, sessionFromToken } from "./session-token.ts";

/** What every route needs, built once per server. */
export type WebContext = {
  readonly gateway: ChatGateway;
  readonly csrf: CsrfKey;
  readonly cookieSecure: boolean;
  readonly rooms: readonly string[];
  readonly healthTimeoutMs: number;
  /** Proxies that append to X-Forwarded-For (WEB_TRUSTED_PROXY_HOPS). */
  readonly trustedProxyHops: number;
  readonly logger: Logger;
  readonly now: () => Date;
};

/** The signed-in session this request's cookie carries, if it is still valid. */
export function requestSession(context: WebContext, request: IncomingMessage): Session | undefined {
  const token = sessionFromCookieHeader(request.headers.cookie);
  return token === undefined ? undefined : sessionFromToken(token, context.now());
}
