import { channel } from "node:diagnostics_channel";
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import {
  type ClientHttp2Session,
  connect as http2Connect,
  constants as http2Constants,
} from "node:http2";
import type { Readable } from "node:stream";

/**
 * Where an API server is and how to authenticate to it: everything the deployer's client
 * needs, without a kubeconfig library. `headers` is asked before every request, so a bearer
 * token may rotate (an EKS token is accepted for 15 minutes; a warm container lives longer).
 */
export type ClusterEndpoint = {
  /** `https://…` (HTTP/2, as kube-apiserver speaks by ALPN), or `http://…` (HTTP/1.1: a loopback proxy). */
  server: string;
  tls?: {
    /** The cluster CA, PEM. */
    ca?: string | Buffer;
    cert?: string | Buffer;
    key?: string | Buffer;
    /** @default true */
    rejectUnauthorized?: boolean;
    servername?: string;
  };
  /** Authentication headers (`authorization: Bearer …`), per request. */
  headers: () => Promise<Record<string, string>>;
};

/** One HTTP exchange with the API server. */
export type ApiRequest = {
  method: "GET" | "PATCH";
  /** The path with its query, `/apis/apps/v1/…?labelSelector=…`. */
  path: string;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
};

/** A Kubernetes Status answer (any non-2xx status), with the server's reason and message. */
export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  readonly statusCode: number;
  /** The answer's body: a Kubernetes Status, as a rule. */
  readonly body: unknown;
  constructor(operation: string, statusCode: number, body: unknown) {
    const { reason, message } = (body ?? {}) as { reason?: unknown; message?: unknown };
    super(
      `${operation}: HTTP ${statusCode}${typeof reason === "string" ? ` ${reason}` : ""}${
        typeof message === "string" ? `: ${message}` : ""
      }`,
    );
    this.statusCode = statusCode;
    this.body = body;
  }
}

/**
 * The deployer's connection to one API server: JSON requests and watches (newline-delimited
 * JSON events) multiplexed over one HTTP/2 session, as client-go does, so a cold container
 * pays one TLS handshake for every read, patch and watch. The session is opened on the first
 * request (synchronously, so requests sent at once share it), reopened after the server or
 * the network closes it, and replaced after `idleMs` without use: a Lambda container thawed
 * after minutes would otherwise write into a connection a NAT or load balancer forgot.
 */
export type ApiConnection = {
  /** Sends one request and parses its JSON answer; a non-2xx status throws KubeApiError. */
  request<T>(request: ApiRequest): Promise<T>;
  /** The events of a watch (`?watch=true`) as they arrive; ends when the server ends it. */
  watch(path: string, options: { signal: AbortSignal; idleMs: number }): AsyncGenerator<unknown>;
  /** Closes the connection (tests and benchmarks; a Lambda container never needs to). */
  close(): Promise<void>;
};

/**
 * Published as each new connection to an API server is opened (`{ server }`) and as each
 * request's headers leave (`{ method, path }`); benchmarks count handshakes and time patches
 * with them. Free when nobody subscribes.
 */
export const connectedChannel = channel("slipway:kube:connected");
export const requestChannel = channel("slipway:kube:request");

type Transport = {
  send(
    request: ApiRequest,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: Readable }>;
  close(): Promise<void>;
};

export function openApiConnection(
  endpoint: ClusterEndpoint,
  options: { idleMs?: number } = {},
): ApiConnection {
  const transport =
    new URL(endpoint.server).protocol === "http:"
      ? http1Transport(endpoint)
      : http2Transport(endpoint, options.idleMs ?? 60_000);

  const exchange = async (request: ApiRequest) => {
    const headers = {
      accept: "application/json",
      ...(request.body === undefined
        ? {}
        : { "content-type": request.contentType ?? "application/json" }),
      ...(await endpoint.headers()),
    };
    return transport.send(request, headers);
  };

  return {
    async request<T>(request: ApiRequest): Promise<T> {
      const { status, body } = await exchange(request);
      const text = await readText(body);
      const parsed: unknown = text === "" ? undefined : JSON.parse(text);
      if (status < 200 || status > 299) {
        throw new KubeApiError(`${request.method} ${request.path}`, status, parsed);
      }
      return parsed as T;
    },
    async *watch(path, { signal, idleMs }) {
      // A watch that hears nothing (not even a bookmark) for idleMs is on a dead connection.
      const idle = new AbortController();
      const quiet = () => idle.abort(new Error(`watch idle for ${idleMs} ms`));
      let timer = setTimeout(quiet, idleMs);
      let body: Readable | undefined;
      try {
        const answer = await exchange({
          method: "GET",
          path,
          signal: AbortSignal.any([signal, idle.signal]),
        });
        body = answer.body;
        const { status } = answer;
        if (status < 200 || status > 299) {
          const text = await readText(body);
          throw new KubeApiError(`watch ${path}`, status, text ? safeJson(text) : undefined);
        }
        body.setEncoding("utf8"); // a chunk may end inside a multi-byte character
        let pending = "";
        for await (const chunk of body) {
          clearTimeout(timer);
          timer = setTimeout(quiet, idleMs);
          pending += chunk as string;
          let newline = pending.indexOf("\n");
          while (newline >= 0) {
            const line = pending.slice(0, newline).trim();
            pending = pending.slice(newline + 1);
            if (line !== "") yield JSON.parse(line);
            newline = pending.indexOf("\n");
          }
        }
        if (pending.trim() !== "") yield JSON.parse(pending);
      } finally {
        clearTimeout(timer);
        body?.destroy();
      }
    },
    close: () => transport.close(),
  };
}

/** HTTPS: one HTTP/2 session for every request, reopened when it closes or sat idle. */
function http2Transport(endpoint: ClusterEndpoint, idleMs: number): Transport {
  const origin = new URL(endpoint.server).origin;
  const base = new URL(endpoint.server).pathname.replace(/\/$/, "");
  // `active` counts open streams: the session holds the process only while one is open, so
  // an idle connection never keeps the operator CLI from exiting.
  let current: { session: ClientHttp2Session; active: number; lastUsed: number } | undefined;

  const open = () => {
    const { ca, cert, key, rejectUnauthorized, servername } = endpoint.tls ?? {};
    const session = http2Connect(origin, {
      ...(ca === undefined ? {} : { ca }),
      ...(cert === undefined ? {} : { cert }),
      ...(key === undefined ? {} : { key }),
      ...(servername === undefined ? {} : { servername }),
      rejectUnauthorized: rejectUnauthorized ?? true,
    });
    const opened = { session, active: 0, lastUsed: Date.now() };
    const forget = () => {
      if (current === opened) current = undefined;
    };
    session.on("close", forget);
    session.on("goaway", forget);
    // A failed connect or a broken connection fails its streams; the next request reconnects.
    session.on("error", forget);
    session.unref();
    connectedChannel.publish({ server: endpoint.server });
    return opened;
  };

  const usable = () => {
    if (current && Date.now() - current.lastUsed > idleMs && current.active === 0) {
      current.session.close();
      current = undefined;
    }
    if (current === undefined || current.session.closed || current.session.destroyed) {
      current = open();
    }
    return current;
  };

  return {
    send(request, headers) {
      return new Promise((resolve, reject) => {
        const opened = usable();
        if (opened.active++ === 0) opened.session.ref();
        const stream = opened.session.request(
          {
            [http2Constants.HTTP2_HEADER_METHOD]: request.method,
            [http2Constants.HTTP2_HEADER_PATH]: base + request.path,
            ...headers,
          },
          request.signal ? { signal: request.signal } : {},
        );
        requestChannel.publish({ method: request.method, path: request.path });
        stream.once("close", () => {
          opened.lastUsed = Date.now();
          if (--opened.active === 0 && !opened.session.destroyed) opened.session.unref();
        });
        stream.on("error", reject);
        stream.once("response", (responseHeaders) => {
          resolve({ status: Number(responseHeaders[":status"]), body: stream });
        });
        stream.end(request.body === undefined ? undefined : JSON.stringify(request.body));
      });
    },
    async close() {
      const closing = current?.session;
      current = undefined;
      if (closing && !closing.destroyed) {
        await new Promise<void>((resolve) => closing.close(() => resolve()));
      }
    },
  };
}

/** Plain HTTP (a loopback proxy in tests, `kubectl proxy`): HTTP/1.1 with kept-alive sockets. */
function http1Transport(endpoint: ClusterEndpoint): Transport {
  const url = new URL(endpoint.server);
  const base = url.pathname.replace(/\/$/, "");
  const agent = new HttpAgent({ keepAlive: true });
  return {
    send(request, headers) {
      return new Promise((resolve, reject) => {
        const outgoing = httpRequest(
          {
            hostname: url.hostname,
            port: url.port,
            method: request.method,
            path: base + request.path,
            headers,
            agent,
            ...(request.signal ? { signal: request.signal } : {}),
          },
          (response) => resolve({ status: response.statusCode ?? 0, body: response }),
        );
        outgoing.on("error", reject);
        requestChannel.publish({ method: request.method, path: request.path });
        outgoing.end(request.body === undefined ? undefined : JSON.stringify(request.body));
      });
    },
    async close() {
      agent.destroy();
    },
  };
}

async function readText(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}
