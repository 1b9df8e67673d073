import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
} from "@kubernetes/client-node";
import { createMemoryRegistry } from "@slipway/aws/testing";
import {
  type DeployDeps,
  type DeployTarget,
  type DiagnosticLog,
  rolloutVerdict,
  type Workloads,
  type WorkloadTarget,
} from "@slipway/core";
import { createFakeGitHub } from "@slipway/github/testing";
import { createKubeWorkloads } from "@slipway/kube";
import { createMemoryLedger } from "@slipway/ledger/testing";
import { inject } from "vitest";
import { type FaultProxy, startFaultProxy } from "../../harness/fault-proxy.ts";
import { waitForRollout } from "../../kube/deployment-rollout.ts";

export const kube = inject("kube");
export const namespace = kube.namespace;

/** A kubeconfig file of the test cluster, loaded. */
export function loadKubeConfig(path: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(path);
  return config;
}

/** cluster-admin: only for setting up Deployments and checking what the deployer did. */
export const adminApps = loadKubeConfig(kube.kubeconfigAdmin).makeApiClient(AppsV1Api);

/**
 * Cordons every node, so no new pod can be scheduled and any rollout started now stays in
 * progress, however fast or slow the machine, until the returned function uncordons them.
 */
export async function holdNewPods(): Promise<() => Promise<void>> {
  const core = loadKubeConfig(kube.kubeconfigAdmin).makeApiClient(CoreV1Api);
  const nodes = (await core.listNode()).items.map((n) => n.metadata?.name ?? "");
  const cordon = (unschedulable: boolean) =>
    Promise.all(
      nodes.map((name) =>
        core.patchNode(
          { name, body: { spec: { unschedulable } } },
          setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
        ),
      ),
    );
  await cordon(true);
  return async () => {
    await cordon(false);
  };
}

/**
 * The deploy function's identity (group slipway:deployers, its Role only), reached through
 * a fault proxy that records every request and can inject 409, 5xx and resets.
 */
export async function deployerWorkloads(): Promise<{ workloads: Workloads; proxy: FaultProxy }> {
  const deployer = loadKubeConfig(kube.kubeconfigDeployer);
  const cluster = deployer.getCurrentCluster();
  const token = deployer.getCurrentUser()?.token;
  if (!cluster || !token) throw new Error("the deployer kubeconfig names no cluster or token");
  const proxy = await startFaultProxy({
    upstream: cluster.server,
    ...(cluster.caData ? { caPem: Buffer.from(cluster.caData, "base64") } : {}),
    skipTlsVerify: cluster.skipTLSVerify,
  });
  // client-node refuses plain HTTP unless TLS checks are off; the hop is loopback only, and
  // the proxy checks the API server's certificate on the way out.
  const config = new KubeConfig();
  config.loadFromClusterAndUser(
    { name: "via-fault-proxy", server: proxy.url, skipTLSVerify: true },
    { name: "slipway-deployer", token },
  );
  return { workloads: createKubeWorkloads({ config, watchSeconds: 10 }), proxy };
}

/** A unique lowercase name per call, so suites never collide in the shared namespace. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
}

/**
 * A Deployment shaped like the workload's (one named container), for kwok's fake nodes:
 * nothing runs, so any valid reference works as the image.
 */
export function workloadManifest(opts: {
  name: string;
  container: string;
  image: string;
  namespace?: string;
  replicas?: number;
  progressDeadlineSeconds?: number;
  cpu?: string;
}): V1Deployment {
  const labels = { "app.kubernetes.io/name": opts.name };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: opts.name, namespace: opts.namespace ?? namespace, labels },
    spec: {
      replicas: opts.replicas ?? 2,
      progressDeadlineSeconds: opts.progressDeadlineSeconds ?? 60,
      selector: { matchLabels: labels },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: opts.container,
              image: opts.image,
              ...(opts.cpu ? { resources: { requests: { cpu: opts.cpu } } } : {}),
            },
          ],
        },
      },
    },
  };
}

/** Creates Deployments as admin and waits until each has rolled out. */
export async function createWorkloads(
  manifests: readonly V1Deployment[],
): Promise<WorkloadTarget[]> {
  await Promise.all(
    manifests.map((body) =>
      adminApps.createNamespacedDeployment({
        namespace: body.metadata?.namespace ?? namespace,
        body,
      }),
    ),
  );
  await Promise.all(
    manifests.map((m) =>
      waitForRollout(adminApps, m.metadata?.name ?? "", m.metadata?.namespace ?? namespace, 45_000),
    ),
  );
  return manifests.map((m) => ({
    namespace: m.metadata?.namespace ?? namespace,
    name: m.metadata?.name ?? "",
    container: m.spec?.template.spec?.containers[0]?.name ?? "",
  }));
}

/**
 * A stage shaped like the workload: a `<prefix>-…-server` and `<prefix>-…-web` pair, each with
 * its own container name, both at `image`, rolled out.
 */
export function createStageWorkloads(
  prefix: string,
  image: string,
  replicas = 1,
): Promise<WorkloadTarget[]> {
  const base = uniqueName(prefix);
  return createWorkloads([
    workloadManifest({ name: `${base}-server`, container: "server", image, replicas }),
    workloadManifest({ name: `${base}-web`, container: "web", image, replicas }),
  ]);
}

export async function deleteWorkloads(targets: readonly WorkloadTarget[]): Promise<void> {
  await Promise.allSettled(
    targets.map((t) =>
      adminApps.deleteNamespacedDeployment({ name: t.name, namespace: t.namespace }),
    ),
  );
}

/** The image a Deployment's container runs, read as admin. */
export async function imageOf(target: WorkloadTarget): Promise<string | undefined> {
  const d = await adminApps.readNamespacedDeployment({
    name: target.name,
    namespace: target.namespace,
  });
  return d.spec?.template.spec?.containers.find((c) => c.name === target.container)?.image;
}

/** Polls as admin until kubectl's rules call the rollout complete (a stale deadline is ignored). */
export async function waitForComplete(target: WorkloadTarget, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await adminApps.readNamespacedDeployment({
      name: target.name,
      namespace: target.namespace,
    });
    const verdict = rolloutVerdict(d);
    if (verdict.kind === "complete") return;
    if (Date.now() > deadline)
      throw new Error(`${target.name} did not complete: ${verdict.message}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export const quietLog: DiagnosticLog = { info() {}, warn() {} };

/** Everything deployBuild needs, real Kubernetes and in-memory ledger, registry and GitHub. */
export function deployDeps(workloads: Workloads, target: DeployTarget, rolloutTimeoutMs = 40_000) {
  const ledger = createMemoryLedger();
  const github = createFakeGitHub();
  // Every image these suites deploy is the stage's (the registry's own rule has its own tests).
  const registry = createMemoryRegistry({ holdsEverything: true });
  const deps: DeployDeps = {
    ledger,
    github,
    registry,
    workloads,
    target,
    log: quietLog,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
    rolloutTimeoutMs,
  };
  return { deps, ledger, github, registry };
}
