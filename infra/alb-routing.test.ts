import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  albFor,
  grpcMethodPaths,
  type Listener,
  matchesPattern,
  patternsOf,
} from "./test/alb-rules.ts";
import { clusterObjectsFor, type KubeObject, renderOverlay } from "./workload-objects.ts";

const proto = readFileSync(resolve(import.meta.dirname, "../proto/chat/v1/chat.proto"), "utf8");
/** The standard health service the server registers; the ALB's gRPC health check calls Check. */
const healthMethods = ["/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch"];
const methodPaths = [...grpcMethodPaths(proto), ...healthMethods];
const webPaths = [
  "/",
  "/index.html",
  "/app.js",
  "/api/login",
  "/api/notes",
  "/events?room=general",
  "/healthz",
];
const https: Listener = { protocol: "HTTPS", port: 443 };
const http: Listener = { protocol: "HTTP", port: 80 };
const certificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/abc";
const registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-chat";
const grpcTarget = {
  kind: "forward",
  service: "chat-server",
  port: "grpc",
  protocolVersion: "GRPC",
};
const webTarget = { kind: "forward", service: "chat-web", port: "http", protocolVersion: "HTTP1" };

describe("the controller model", () => {
  it("turns Prefix paths into the ALB patterns the controller documents", () => {
    const backend = { service: { name: "s", port: { number: 1 } } };
    expect(patternsOf({ path: "/", pathType: "Prefix", backend })).toEqual(["/*"]);
    expect(patternsOf({ path: "/chat.v1.", pathType: "Prefix", backend })).toEqual([
      "/chat.v1.",
      "/chat.v1./*",
    ]);
    expect(patternsOf({ path: "/api/", pathType: "Prefix", backend })).toEqual(["/api", "/api/*"]);
    expect(patternsOf({ path: "/chat.v1.*", pathType: "ImplementationSpecific", backend })).toEqual(
      ["/chat.v1.*"],
    );
  });

  it("matches like the ALB: * is any run of characters, ? one, and case counts", () => {
    expect(matchesPattern("/chat.v1.*", "/chat.v1.ChatService/SendNote")).toBe(true);
    expect(matchesPattern("/chat.v1./*", "/chat.v1.ChatService/SendNote")).toBe(false);
    expect(matchesPattern("/a?c", "/abc")).toBe(true);
    expect(matchesPattern("/Chat*", "/chat")).toBe(false);
  });

  it("finds the defect the old manifests had: Prefix /chat.v1. sends every gRPC call to the web client", () => {
    const ingress = (
      name: string,
      order: string,
      path: string,
      service: string,
      grpc: boolean,
    ): KubeObject => ({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: {
        name,
        namespace: "chat",
        annotations: {
          "alb.ingress.kubernetes.io/group.order": order,
          "alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS": 443}]',
          ...(grpc ? { "alb.ingress.kubernetes.io/backend-protocol-version": "GRPC" } : {}),
        },
      },
      spec: {
        rules: [
          {
            http: {
              paths: [
                {
                  path,
                  pathType: "Prefix",
                  backend: { service: { name: service, port: { name: "p" } } },
                },
              ],
            },
          },
        ],
      },
    });
    const old = albFor([
      ingress("chat-grpc", "0", "/chat.v1.", "chat-server", true),
      ingress("chat-web", "0", "/", "chat-web", false),
    ]);
    expect(old.route(https, "/chat.v1.ChatService/SendNote")).toMatchObject({
      service: "chat-web",
    });
  });
});

describe.each(["dev", "production"] as const)("the %s overlay's ALB", (overlay) => {
  const rendered = renderOverlay(overlay);

  it("with a certificate, sends every method in proto/ to the gRPC server over HTTP/2 and the rest to the web client", () => {
    const alb = albFor(clusterObjectsFor(rendered, { registry, certificateArn }));
    expect(methodPaths.length).toBeGreaterThanOrEqual(5);
    for (const path of methodPaths) expect(alb.route(https, path), path).toEqual(grpcTarget);
    for (const path of webPaths)
      expect(alb.route(https, path.split("?")[0] ?? path), path).toEqual(webTarget);
  });

  it("with a certificate, redirects plain HTTP to HTTPS, so no password crosses the internet in clear text", () => {
    const alb = albFor(clusterObjectsFor(rendered, { registry, certificateArn }));
    expect(alb.listeners).toEqual(expect.arrayContaining([http, https]));
    for (const path of [...webPaths, ...methodPaths])
      expect(alb.route(http, path)).toEqual({ kind: "redirect-to-https" });
  });

  it("without a certificate, serves only the web client on HTTP and exposes no gRPC route", () => {
    const alb = albFor(clusterObjectsFor(rendered, { registry }));
    expect(alb.listeners).toEqual([http]);
    for (const path of webPaths)
      expect(alb.route(http, path.split("?")[0] ?? path)).toEqual(webTarget);
    for (const path of methodPaths)
      expect(alb.route(http, path)).not.toMatchObject({ service: "chat-server" });
  });
});
