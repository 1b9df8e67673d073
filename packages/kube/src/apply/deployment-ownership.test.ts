import { describe, expect, it } from "vitest";
import type { KubeObject } from "./apply-set.ts";
import { bootstrapFields, newContainers, withoutDeployerFields } from "./deployment-ownership.ts";

const deployment: KubeObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "chat-web", namespace: "chat" },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: {
        containers: [{ name: "web", image: "placeholder", env: [{ name: "A", value: "1" }] }],
      },
    },
  },
};

describe("Deployment field ownership", () => {
  it("leaves the images and the replica count out of infra's apply, and nothing else", () => {
    const applied = withoutDeployerFields(deployment) as unknown as {
      spec: {
        replicas?: number;
        template: { spec: { containers: Array<Record<string, unknown>> } };
      };
    };
    expect(applied.spec.replicas).toBeUndefined();
    expect(applied.spec.template.spec.containers).toEqual([
      { name: "web", env: [{ name: "A", value: "1" }] },
    ]);
    expect((deployment.spec as { replicas: number }).replicas).toBe(3);
  });

  it("gives the bootstrap manager every image and the replica count on creation", () => {
    expect(bootstrapFields(deployment, "boot")).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "chat-web", namespace: "chat" },
      spec: { replicas: 3, template: { spec: { containers: [{ name: "web", image: "boot" }] } } },
    });
  });

  it("gives a container added later an image, without touching the replica count", () => {
    expect(bootstrapFields(deployment, "boot", ["sidecar"]).spec).toEqual({
      template: { spec: { containers: [{ name: "sidecar", image: "boot" }] } },
    });
  });

  it("finds the containers a manifest adds to a Deployment already on the server", () => {
    const existing = { spec: { template: { spec: { containers: [{ name: "old" }] } } } };
    expect(newContainers(deployment, existing)).toEqual(["web"]);
    expect(newContainers(deployment, deployment)).toEqual([]);
  });
});
