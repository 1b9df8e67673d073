import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { deploymentManifest } from "./deployment-rollout.ts";

const kube = inject("kube");
const namespace = kube.namespace;
const name = `rbac-${Date.now().toString(36)}`;
const forbidden = { code: 403 };

function load(path: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(path);
  return config;
}
const admin = load(kube.kubeconfigAdmin);
const deployer = load(kube.kubeconfigDeployer);
const adminApps = admin.makeApiClient(AppsV1Api);
const apps = deployer.makeApiClient(AppsV1Api);
const core = deployer.makeApiClient(CoreV1Api);

beforeAll(async () => {
  await adminApps.createNamespacedDeployment({
    namespace,
    body: deploymentManifest({ name, namespace, image: "registry.example/chat:rbac", replicas: 1 }),
  });
});

afterAll(async () => {
  await adminApps.deleteNamespacedDeployment({ name, namespace });
});

describe("the deployer identity (least privilege, DESIGN rule 7)", { timeout: 30_000 }, () => {
  it("can get and strategic-merge-patch a Deployment in its namespace", async () => {
    const read = await apps.readNamespacedDeployment({ name, namespace });
    const patched = await apps.patchNamespacedDeployment(
      { name, namespace, body: { metadata: { annotations: { "slipway.dev/probe": "patched" } } } },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );

    expect(read.metadata?.name).toBe(name);
    expect(patched.metadata?.annotations?.["slipway.dev/probe"]).toBe("patched");
  });

  it("can watch one Deployment by name and list ReplicaSets in its namespace", async () => {
    let watch: AbortController | undefined;
    const firstEvent = new Promise<string>((resolve, reject) => {
      new Watch(deployer)
        .watch(
          `/apis/apps/v1/namespaces/${namespace}/deployments`,
          // How the deploy function follows its rollout: the `watch` verb
          // alone allows this, where `kubectl rollout status` would also list.
          { fieldSelector: `metadata.name=${name}` },
          (phase, object: { metadata?: { name?: string } }) =>
            resolve(`${phase} ${object.metadata?.name}`),
          (error: unknown) => reject(error ?? new Error("watch ended before any event")),
        )
        .then((controller) => {
          watch = controller;
        }, reject);
    });
    const sets = await apps.listNamespacedReplicaSet({ namespace });

    try {
      await expect(firstEvent).resolves.toBe(`ADDED ${name}`);
    } finally {
      watch?.abort();
    }
    expect(Array.isArray(sets.items)).toBe(true);
  });

  it("is forbidden to read Deployments in another namespace", async () => {
    await expect(
      apps.readNamespacedDeployment({ name, namespace: "kube-system" }),
    ).rejects.toMatchObject(forbidden);
    await expect(apps.listNamespacedDeployment({ namespace: "default" })).rejects.toMatchObject(
      forbidden,
    );
  });

  it("is forbidden to touch other kinds in its own namespace", async () => {
    await expect(core.listNamespacedSecret({ namespace })).rejects.toMatchObject(forbidden);
    await expect(
      core.readNamespacedConfigMap({ name: "kube-root-ca.crt", namespace }),
    ).rejects.toMatchObject(forbidden);
    await expect(core.listNamespacedPod({ namespace })).rejects.toMatchObject(forbidden);
  });

  it("is forbidden to list, create or delete Deployments, even in its namespace", async () => {
    await expect(apps.listNamespacedDeployment({ namespace })).rejects.toMatchObject(forbidden);
    await expect(
      apps.createNamespacedDeployment({
        namespace,
        body: deploymentManifest({
          name: `${name}-new`,
          namespace,
          image: "registry.example/chat:rbac",
        }),
      }),
    ).rejects.toMatchObject(forbidden);
    await expect(apps.deleteNamespacedDeployment({ name, namespace })).rejects.toMatchObject(
      forbidden,
    );
  });
});
