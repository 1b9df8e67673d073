import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createSecureServer, type ServerHttp2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateCerts } from "./certs.ts";

/** What the stand-in serves: one Deployment, read, patched, watched; and discovery. */
export const standInDeployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: {
    name: "chat-server",
    namespace: "chat",
    uid: "0d6c3a52-uid",
    resourceVersion: "7",
    generation: 1,
  },
  spec: {
    selector: { matchLabels: { app: "chat-server" } },
    template: { spec: { containers: [{ name: "server", image: "repo@sha256:1" }] } },
  },
  status: { observedGeneration: 1 },
};

/** The Deployment's ReplicaSets (revision 1), and one of another owner. */
export const standInReplicaSets = [
  {
    metadata: {
      name: "chat-server-1",
      annotations: { "deployment.kubernetes.io/revision": "1" },
      ownerReferences: [{ kind: "Deployment", name: "chat-server", uid: "0d6c3a52-uid" }],
    },
    spec: { template: { spec: { containers: [{ name: "server", image: "repo@sha256:1" }] } } },
  },
  {
    metadata: {
      name: "other-1",
      annotations: { "deployment.kubernetes.io/revision": "9" },
      ownerReferences: [{ kind: "Deployment", name: "other", uid: "other-uid" }],
    },
    spec: { template: { spec: { containers: [{ name: "server", image: "repo@sha256:9" }] } } },
  },
];

export type TlsApiServer = {
  url: string;
  /** The CA, base64 PEM, as a kubeconfig or EKS's DescribeCluster carries it. */
  caData: string;
  /** TLS handshakes so far: one per new connection. */
  handshakes: () => number;
  /** Every request: method, path with query, authorization header, protocol version. */
  requests: Array<{
    method: string;
    path: string;
    authorization?: string;
    contentType?: string;
    body?: string;
    httpVersion: string;
  }>;
  /** Ends every open HTTP/2 session as a server restart or load balancer would (GOAWAY). */
  dropConnections(): void;
  stop(): Promise<void>;
};

/**
 * A TLS server on 127.0.0.1 that answers like an API server for one Deployment (get, patch, a
 * watch of one event, discovery) and counts TLS handshakes, one per new connection. It speaks
 * HTTP/2 and HTTP/1.1 by ALPN, as kube-apiserver does.
 */
export async function startTlsApiServer(): Promise<TlsApiServer> {
  const dir = await mkdtemp(join(tmpdir(), "slipway-tls-"));
  const certs = await generateCerts(dir);
  let handshakes = 0;
  const sessions = new Set<ServerHttp2Session>();
  const requests: TlsApiServer["requests"] = [];
  const server = createSecureServer(
    {
      key: await readFile(certs.servingKey),
      cert: await readFile(certs.servingCert),
      allowHTTP1: true,
    },
    (request, response) => {
      const seen: TlsApiServer["requests"][number] = {
        method: request.method,
        path: request.url,
        httpVersion: request.httpVersion,
        ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
        ...(request.headers["content-type"]
          ? { contentType: request.headers["content-type"] }
          : {}),
      };
      requests.push(seen);
      const path = new URL(request.url ?? "/", "https://x").pathname;
      response.setHeader("content-type", "application/json");
      if (request.url?.includes("watch=true") && request.url.includes("silent=true")) {
        // A watch on a connection that went dead: headers, then nothing.
        response.writeHead(200);
      } else if (request.url?.includes("watch=true")) {
        // A watch stays open; this one sends an event and ends after a while.
        response.write(`${JSON.stringify({ type: "MODIFIED", object: standInDeployment })}\n`);
        setTimeout(() => response.end(), 200);
      } else if (path === "/apis/apps/v1") {
        response.end(
          JSON.stringify({
            kind: "APIResourceList",
            groupVersion: "apps/v1",
            resources: [{ name: "deployments", namespaced: true, kind: "Deployment", verbs: [] }],
          }),
        );
      } else if (path === "/apis/apps/v1/namespaces/chat/replicasets") {
        response.end(JSON.stringify({ kind: "ReplicaSetList", items: standInReplicaSets }));
      } else if (path === "/apis/apps/v1/namespaces/chat/deployments/chat-server") {
        const chunks: Buffer[] = [];
        request.on("data", (chunk: Buffer) => chunks.push(chunk));
        request.on("end", () => {
          if (chunks.length > 0) seen.body = Buffer.concat(chunks).toString("utf8");
          response.end(JSON.stringify(standInDeployment));
        });
      } else {
        response.statusCode = 404;
        response.end(JSON.stringify({ kind: "Status", code: 404, reason: "NotFound" }));
      }
    },
  );
  server.on("secureConnection", () => {
    handshakes += 1;
  });
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    caData: (await readFile(certs.caCert)).toString("base64"),
    handshakes: () => handshakes,
    requests,
    dropConnections() {
      for (const session of sessions) session.close();
    },
    async stop() {
      for (const session of sessions) session.destroy();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
