import { describe, expect, it } from "vitest";
import { type KubeObject, workloadObjectsForInfra } from "./workload-objects.ts";

const deployment: KubeObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "chat-server" },
  spec: {
    replicas: 3,
    template: { spec: { containers: [{ name: "server", image: "repo@sha256:abc" }] } },
  },
};
const grpcIngress: KubeObject = {
  apiVersion: "networking.k8s.io/v1",
  kind: "Ingress",
  metadata: {
    name: "chat-grpc",
    annotations: { "alb.ingress.kubernetes.io/backend-protocol-version": "GRPC" },
  },
};
const webIngress: KubeObject = {
  apiVersion: "networking.k8s.io/v1",
  kind: "Ingress",
  metadata: { name: "chat-web" },
};

describe("workload objects infra applies", () => {
  it("leaves image and replicas to the deployer and the HPA", () => {
    const [applied] = workloadObjectsForInfra([deployment], {});
    expect(applied?.spec).toEqual({ template: { spec: { containers: [{ name: "server" }] } } });
    expect(deployment.spec?.replicas).toBe(3); // the input is not mutated
  });

  it("drops the gRPC ingress when the stage has no certificate", () => {
    const applied = workloadObjectsForInfra([webIngress, grpcIngress], {});
    expect(applied.map((o) => o.metadata.name)).toEqual(["chat-web"]);
  });

  it("puts the certificate on every ingress when the stage has one", () => {
    const applied = workloadObjectsForInfra([webIngress, grpcIngress], {
      certificateArn: "arn:aws:acm:cert",
    });
    expect(
      applied.map((o) => o.metadata.annotations?.["alb.ingress.kubernetes.io/certificate-arn"]),
    ).toEqual(["arn:aws:acm:cert", "arn:aws:acm:cert"]);
  });
});
