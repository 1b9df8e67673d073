import { AppsV1Api, KubeConfig, type V1DeploymentCondition } from "@kubernetes/client-node";
import { afterAll, describe, expect, inject, it } from "vitest";
import { deploymentManifest } from "./deployment-rollout.ts";
import { waitFor } from "./wait-for.ts";

const kube = inject("kube");
const admin = new KubeConfig();
admin.loadFromFile(kube.kubeconfigAdmin);
const apps = admin.makeApiClient(AppsV1Api);
const namespace = kube.namespace;
const name = `stuck-${Date.now().toString(36)}`;

afterAll(async () => {
  await apps.deleteNamespacedDeployment({ name, namespace });
});

describe("a rollout that cannot progress", { timeout: 60_000 }, () => {
  it("reports Progressing=False with reason ProgressDeadlineExceeded after progressDeadlineSeconds", async () => {
    const started = Date.now();
    // No node is in this zone, so the pods stay Pending and never become Ready.
    await apps.createNamespacedDeployment({
      namespace,
      body: deploymentManifest({
        name,
        namespace,
        image: "registry.example/chat:never",
        replicas: 1,
        progressDeadlineSeconds: 10,
        nodeSelector: { "topology.kubernetes.io/zone": "zone-nowhere" },
      }),
    });

    const progressing = await waitFor<V1DeploymentCondition>(
      "Progressing=False",
      async () => {
        const d = await apps.readNamespacedDeployment({ name, namespace });
        return d.status?.conditions?.find((c) => c.type === "Progressing" && c.status === "False");
      },
      { timeoutMs: 45_000, intervalMs: 500 },
    );

    expect(progressing.reason).toBe("ProgressDeadlineExceeded");
    expect(Date.now() - started).toBeGreaterThanOrEqual(10_000);
    const d = await apps.readNamespacedDeployment({ name, namespace });
    expect(d.status?.availableReplicas ?? 0).toBe(0);
  });
});
