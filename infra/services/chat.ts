import type { ServiceFile } from "./service-file.ts";

/**
 * The chat: the gRPC server and its web client, one image (grpc-app/), two Deployments.
 * It lives in this repository beside the greeter, so it builds only when its own paths change.
 */
export const chat: ServiceFile = {
  name: "chat",
  repository: "this-repository",
  stages: { production: ["main"] },
  paths: [
    "grpc-app/**",
    "proto/chat/**",
    "package.json",
    "package-lock.json",
    "buf.gen.yaml",
    "buf.yaml",
  ],
  build: { buildspec: "grpc-app/buildspec.yml" },
  namespace: "chat",
  servesDomain: true,
  // The chat's database URL and signing secrets, from the stage's workload secret.
  secrets: [
    { name: "chat-database", keys: { url: "databaseUrl" } },
    { name: "chat-token", keys: { secret: "tokenSecret", session: "sessionSecret" } },
  ],
  // A browser drops a Secure cookie over plain HTTP: the web client sets it only behind HTTPS.
  httpsFlags: [{ deployment: "chat-web", container: "web", env: "COOKIE_SECURE" }],
  manifests: { dev: "k8s/overlays/dev", production: "k8s/overlays/production" },
  deployments: [
    { name: "chat-server", containers: ["server"] },
    { name: "chat-web", containers: ["web"] },
  ],
};
