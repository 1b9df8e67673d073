import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import type { Logger } from "../log/logger.ts";
import {
  authorizeChange,
  getSession,
  postLogin,
  postLogout,
  postNote,
  postRefresh,
} from "./api-routes.ts";
import { type ChatGateway, ChatUnavailableError } from "./chat-gateway.ts";
import { csrfKey } from "./csrf.ts";
import { BadRequestBodyError } from "./http-body.ts";
import { securityHeaders, sendError, sendJson } from "./http-response.ts";
import { refuseStream, type StreamCloser, streamNotes } from "./note-stream-route.ts";
import { checkSameOrigin } from "./same-origin.ts";
import { loadStaticAssets, type StaticAssets } from "./static-assets.ts";
import { RoomName, type WebConfig } from "./web-config.ts";
import { requestSession, type WebContext } from "./web-context.ts";

export type WebServerOptions = {
  readonly config: WebConfig;
  readonly gateway: ChatGateway;
  readonly logger: Logger;
  /** Where index.html, app.js and app.css live. @default this folder's `public/` */
  readonly publicDir?: string;
  readonly now?: () => Date;
};

export type WebServer = {
  readonly port: number;
  /** The page's address, for people: `http://127.0.0.1:8080/`. */
  readonly url: string;
  /** Event streams open now, one per browser tab. */
  openStreams(): number;
  /** Stops accepting, ends event streams (browsers resume elsewhere), then closes. */
  close(graceMs?: number): Promise<void>;
};

const defaultPublicDir = fileURLToPath(new URL("./public/", import.meta.url));
const roomPath = /^\/api\/rooms\/([^/]+)\/(events|notes)$/;

/** Starts the web client's HTTP server on the configured address (port 0 picks one). */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const { config, logger } = options;
  if (config.WEB_SESSION_SECRET === undefined) {
    logger.warn("web.csrf.random-key", {
      detail: "WEB_SESSION_SECRET is unset; pages that move to another replica refetch their token",
    });
  }
  const context: WebContext = {
    gateway: options.gateway,
    csrf: csrfKey(config.WEB_SESSION_SECRET),
    cookieSecure: config.COOKIE_SECURE,
    rooms: config.WEB_ROOMS,
    healthTimeoutMs: config.WEB_HEALTH_TIMEOUT_MS,
    trustedProxyHops: config.WEB_TRUSTED_PROXY_HOPS,
    logger,
    now: options.now ?? (() => new Date()),
  };
  const assets = loadStaticAssets(options.publicDir ?? defaultPublicDir);
  const streams = new Set<StreamCloser>();
  const headers = securityHeaders(config.COOKIE_SECURE);

  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    const started = performance.now();
    res.setHeaders(new Map(Object.entries(headers)));
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    res.on("close", () => {
      const fields = { method: req.method, path, status: res.statusCode };
      const ms = Math.round(performance.now() - started);
      if (path === "/healthz" || path === "/livez") logger.debug("web.request", { ...fields, ms });
      else logger.info("web.request", { ...fields, ms });
    });
    route(context, assets, streams, req, res).catch((error: unknown) => {
      answerFailure(logger, res, error);
    });
  });

  const { host, port } = config.WEB_ADDRESS;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  const url = `http://${shown.includes(":") ? `[${shown}]` : shown}:${bound}/`;
  logger.info("web.listening", { url, grpcTarget: config.GRPC_TARGET });

  return {
    port: bound,
    url,
    openStreams: () => streams.size,
    close: (graceMs = 5_000) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        for (const end of streams) end();
        server.closeIdleConnections();
      }),
  };
}

async function route(
  context: WebContext,
  assets: StaticAssets,
  streams: Set<StreamCloser>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? "/", "http://localhost");
  const method = request.method ?? "GET";
  const read = method === "GET" || method === "HEAD";

  if (url.pathname === "/livez") {
    // Liveness: this process serves. Readiness is /healthz, which also needs the chat server;
    // a liveness probe on it would restart every web pod whenever the chat server is down.
    return read ? sendJson(response, 200, { status: "UP" }) : notAllowed(response, "GET");
  }
  if (url.pathname === "/healthz") {
    if (!read) return notAllowed(response, "GET");
    const up = await context.gateway.isServing(context.healthTimeoutMs);
    return sendJson(response, up ? 200 : 503, { status: up ? "UP" : "DOWN" });
  }

  if (!url.pathname.startsWith("/api/")) {
    if (!read) return notAllowed(response, "GET");
    if (!assets.serve(url.pathname, request, response)) sendError(response, 404, "Not found.");
    return;
  }

  if (!read) {
    if (method !== "POST") return notAllowed(response, "GET, POST");
    const origin = checkSameOrigin(request.headers);
    if (origin.kind === "cross-origin") {
      context.logger.warn("web.cross-origin", { path: url.pathname, reason: origin.reason });
      return sendError(response, 403, "Cross-origin request refused.", "cross-origin");
    }
  }

  if (url.pathname === "/api/session") {
    return read ? getSession(context, request, response) : notAllowed(response, "GET");
  }
  if (url.pathname === "/api/login") {
    return read ? notAllowed(response, "POST") : postLogin(context, request, response);
  }
  if (url.pathname === "/api/session/refresh") {
    return read ? notAllowed(response, "POST") : postRefresh(context, request, response);
  }
  if (url.pathname === "/api/logout") {
    if (read) return notAllowed(response, "POST");
    // With a live access token, logout is a change like any other (CSRF token checked);
    // without one, only the refresh cookie is left to end, behind the same-origin check.
    if (requestSession(context, request) === undefined) {
      return postLogout(context, undefined, request, response);
    }
    const session = authorizeChange(context, request, response);
    return session && postLogout(context, session, request, response);
  }

  const match = roomPath.exec(url.pathname);
  // Room names are URL-safe, so the raw segment is the name; anything escaped is refused.
  const room = RoomName.safeParse(match?.[1]);
  if (match === null) return sendError(response, 404, "Not found.");
  if (!room.success) return sendError(response, 400, "Room names are 1-32 of a-z, 0-9, _ and -.");

  if (match[2] === "events") {
    if (!read) return notAllowed(response, "GET");
    const session = requestSession(context, request);
    if (session === undefined) return refuseStream(response);
    const end = streamNotes(context, session, room.data, request, response, url);
    streams.add(end);
    response.on("close", () => streams.delete(end));
    return;
  }
  if (read) return notAllowed(response, "POST");
  const session = authorizeChange(context, request, response);
  return session && postNote(context, session, room.data, request, response);
}

function notAllowed(response: ServerResponse, allow: string): void {
  sendError(response, 405, "Method not allowed.", undefined, { allow });
}

/** The one mapping from a thrown failure to an HTTP answer. */
function answerFailure(logger: Logger, response: ServerResponse, error: unknown): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  if (error instanceof BadRequestBodyError) {
    sendError(response, error.status, error.message);
    return;
  }
  if (error instanceof ChatUnavailableError) {
    logger.warn("web.chat-unavailable", { error });
    sendError(
      response,
      503,
      "The chat service is unavailable. Try again in a moment.",
      "unavailable",
    );
    return;
  }
  logger.error("web.failure", { error });
  sendError(response, 500, "Something went wrong.");
}
