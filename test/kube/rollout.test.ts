import { createHash } from "node:crypto";
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { afterAll, describe, expect, inject, it } from "vitest";
import { deploymentManifest, waitForRollout } from "./deployment-rollout.ts";
import { neverReadyImage } from "./kwok-stages.ts";

const kube = inject("kube");
const admin = new KubeConfig();
admin.loadFromFile(kube.kubeconfigAdmin);
const apps = admin.makeApiClient(AppsV1Api);
const core = admin.makeApiClient(CoreV1Api);
const namespace = kube.namespace;
const run = Date.now().toString(36);
const created: string[] = [];

async function createDeployment(name: string): Promise<void> {
  await apps.createNamespacedDeployment({
    namespace,
    body: deploymentManifest({
      name,
      namespace,
      image: "registry.example/chat:bootstrap",
      replicas: 3,
    }),
  });
  created.push(name);
}

afterAll(async () => {
  await Promise.all(created.map((name) => apps.deleteNamespacedDeployment({ name, namespace })));
});

describe("Deployments on the local control plane", { timeout: 90_000 }, () => {
  it("rolls a 3-replica Deployment out to Ready pods on the kwok nodes", async () => {
    const name = `rollout-${run}`;
    await createDeployment(name);

    const deployment = await waitForRollout(apps, name, namespace);

    expect(deployment.status).toMatchObject({
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    });
    const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${name}` });
    expect(pods.items).toHaveLength(3);
    for (const pod of pods.items) {
      expect(pod.spec?.nodeName).toMatch(/^kwok-zone-[ab]$/);
      expect(pod.status?.phase).toBe("Running");
      expect(pod.status?.conditions).toContainEqual(
        expect.objectContaining({ type: "Ready", status: "True" }),
      );
    }
  });

  it("keeps a pod whose image has the never-ready digest Pending while a normal one becomes Ready", async () => {
    const [good, bad] = [`ready-${run}`, `never-ready-${run}`];
    for (const [name, image] of [
      [good, "registry.example/chat:bootstrap"],
      [bad, neverReadyImage(1, "registry.example/chat")],
    ] as const) {
      await apps.createNamespacedDeployment({
        namespace,
        body: deploymentManifest({ name, namespace, image, replicas: 1 }),
      });
      created.push(name);
    }

    // Both pods were created together; by the time kwok readied the one, it had seen the other.
    await waitForRollout(apps, good, namespace);
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${bad}` });
    expect(pods.items).toHaveLength(1);
    expect(pods.items[0]?.status?.conditions ?? []).not.toContainEqual(
      expect.objectContaining({ type: "Ready", status: "True" }),
    );
  });

  it("rolls out a new ReplicaSet after a strategic-merge patch of the image to a digest", async () => {
    const name = `digest-${run}`;
    await createDeployment(name);
    const before = await waitForRollout(apps, name, namespace);
    const image = `registry.example/chat@sha256:${createHash("sha256").update(name).digest("hex")}`;

    // Only the container's image: a strategic merge patch matches the
    // container by name, where a JSON merge patch would replace the list.
    await apps.patchNamespacedDeployment(
      {
        name,
        namespace,
        body: { spec: { template: { spec: { containers: [{ name: "app", image }] } } } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    const after = await waitForRollout(apps, name, namespace);

    expect(after.metadata?.generation).toBeGreaterThan(before.metadata?.generation ?? 0);
    expect(after.status?.observedGeneration).toBeGreaterThanOrEqual(
      after.metadata?.generation ?? Infinity,
    );
    expect(after.status).toMatchObject({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 });
    const sets = await apps.listNamespacedReplicaSet({ namespace, labelSelector: `app=${name}` });
    const byImage = new Map(
      sets.items.map((rs) => [rs.spec?.template?.spec?.containers[0]?.image, rs]),
    );
    expect(sets.items).toHaveLength(2);
    expect(byImage.get(image)?.status).toMatchObject({ replicas: 3, readyReplicas: 3 });
    expect(byImage.get("registry.example/chat:bootstrap")?.status?.replicas).toBe(0);
  });
});
