import type { ServiceFile } from "./service-file.ts";

/**
 * The greeter: a minimal gRPC service (examples/greeter/), the second service Slipway deploys
 * beside the chat. Built from its Dockerfile by Slipway's generic buildspec.
 */
export const greeter: ServiceFile = {
  name: "greeter",
  repository: "this-repository",
  stages: { production: ["main"] },
  paths: ["examples/greeter/**", "proto/greeter/**"],
  build: { dockerfile: "examples/greeter/Dockerfile", context: "." },
  namespace: "greeter",
  manifests: "k8s/services/greeter",
  deployments: [{ name: "greeter", containers: ["greeter"] }],
};
