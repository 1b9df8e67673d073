import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { Agent, request as httpsRequest } from "node:https";
import type { AddressInfo, Socket } from "node:net";

/** One fault to inject: the next `times` requests that match get this answer instead. */
export type FaultRule = {
  method?: string;
  /** A substring of the request path (with query). */
  path?: string;
  /** An HTTP status with a Kubernetes Status body, or a reset connection. */
  fault: { status: number } | "reset";
  times?: number;
};

/** A request the proxy saw, and what it did with it. */
export type SeenRequest = {
  method: string;
  path: string;
  /** `performance.now()` when the request head arrived. */
  at: number;
  injected?: string;
};

export type FaultProxy = {
  /** `http://127.0.0.1:<port>`: a kubeconfig's server. */
  url: string;
  inject(rule: FaultRule): void;
  requests: SeenRequest[];
  /** Called with each request as it arrives (for latency measurements). */
  onRequest?: (request: SeenRequest) => void;
  stop(): Promise<void>;
};

const reasons: Record<number, string> = {
  409: "Conflict",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

/**
 * A loopback HTTP proxy in front of a Kubernetes API server that can answer chosen requests
 * with 409, 429 or 5xx, or reset their connection, and records every request. Clients speak
 * plain HTTP to it (loopback only); it speaks HTTPS upstream, trusting `caPem`. Streaming
 * responses (watches) pass through as they arrive.
 */
export async function startFaultProxy(options: {
  upstream: string;
  caPem?: string | Buffer;
  skipTlsVerify?: boolean;
}): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  const rules: Array<Required<Pick<FaultRule, "fault">> & FaultRule & { left: number }> = [];
  const sockets = new Set<Socket>();
  // Kept-alive upstream connections, so the proxy adds no TLS handshake per request.
  const agent = new Agent({
    keepAlive: true,
    ...(options.caPem ? { ca: options.caPem } : {}),
    rejectUnauthorized: !options.skipTlsVerify,
  });

  const proxy: FaultProxy = {
    url: "",
    requests: [],
    inject(rule) {
      rules.push({ ...rule, left: rule.times ?? 1 });
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const matching = (req: IncomingMessage) => {
    const rule = rules.find(
      (r) =>
        r.left > 0 &&
        (r.method === undefined || r.method === req.method) &&
        (r.path === undefined || (req.url ?? "").includes(r.path)),
    );
    if (rule) rule.left -= 1;
    return rule;
  };

  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const outgoing = httpsRequest(
      {
        protocol: "https:",
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
        agent,
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    outgoing.on("error", () => res.destroy());
    res.on("close", () => outgoing.destroy());
    req.pipe(outgoing);
  };

  const server = createServer((req, res) => {
    const seen: SeenRequest = {
      method: req.method ?? "GET",
      path: req.url ?? "/",
      at: performance.now(),
    };
    proxy.requests.push(seen);
    proxy.onRequest?.(seen);
    const rule = matching(req);
    if (rule === undefined) return forward(req, res);
    if (rule.fault === "reset") {
      seen.injected = "reset";
      req.socket.resetAndDestroy();
      return;
    }
    const code = rule.fault.status;
    seen.injected = String(code);
    // Drain the body first, so the client sees the answer rather than a broken pipe.
    req.resume();
    req.on("end", () => {
      res.writeHead(code, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          reason: reasons[code] ?? "InternalError",
          message: `injected by the fault proxy (${code})`,
          code,
        }),
      );
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
