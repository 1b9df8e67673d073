import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AppsV1Api, CoreV1Api, KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { startControlPlane } from "./control-plane.ts";
import { deploymentManifest, waitForRollout } from "./deployment-rollout.ts";
import { ensureKubeBinaries } from "./kube-binaries.ts";
import { waitFor } from "./wait-for.ts";

const buildScript = fileURLToPath(new URL("../../scripts/kube-build.sh", import.meta.url));

/** Command lines of live processes that mention `text` (every component's args name its temp dir). */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ");
      if (cmdline.includes(text)) found.push(`${entry}: ${cmdline.slice(0, 120)}`);
    } catch {
      // The process ended between readdir and read.
    }
  }
  return found;
}

function clientsFor(kubeconfig: string) {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  return { apps: config.makeApiClient(AppsV1Api), core: config.makeApiClient(CoreV1Api) };
}

// These start extra control planes of their own, beside the shared one.
describe("the control plane harness", () => {
  it("reuses the cached binaries when the build script runs again", {
    timeout: 20 * 60_000,
  }, async () => {
    await ensureKubeBinaries(); // a no-op unless this run targets KUBECONFIG and never built

    const started = Date.now();
    const second = spawnSync("bash", [buildScript], { encoding: "utf8" });
    const elapsedMs = Date.now() - started;

    expect(second.status).toBe(0);
    expect(second.stderr).toContain("reused cache");
    expect(second.stdout.trim()).toMatch(/\/kube\/v1\.35\.4\/bin$/);
    expect(elapsedMs).toBeLessThan(5_000);
  });

  it("starts and stops twice in a row, leaving no process or temp folder behind", {
    timeout: 180_000,
  }, async () => {
    for (const cycle of [1, 2]) {
      const cluster = await startControlPlane();
      const running = processesMentioning(cluster.dir);
      const { core } = clientsFor(cluster.kubeconfigAdmin);
      const nodes = await core.listNode({});

      await cluster.stop();

      expect(running, `cycle ${cycle}`).toHaveLength(5);
      expect(
        nodes.items.map((n) => n.metadata?.labels?.["topology.kubernetes.io/zone"]).sort(),
      ).toEqual(["zone-a", "zone-b"]);
      expect(processesMentioning(cluster.dir), `cycle ${cycle}`).toEqual([]);
      expect(existsSync(cluster.dir), `cycle ${cycle}`).toBe(false);
    }
  });

  it("holds new pods Pending for podReadyDelayMs, so a rollout can be seen in progress", {
    timeout: 120_000,
  }, async () => {
    const cluster = await startControlPlane({ podReadyDelayMs: 4_000 });
    try {
      const { apps, core } = clientsFor(cluster.kubeconfigAdmin);
      const { namespace } = cluster;
      const isReady = (pod: V1Pod) =>
        pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
      const created = Date.now();
      await apps.createNamespacedDeployment({
        namespace,
        body: deploymentManifest({
          name: "slow",
          namespace,
          image: "registry.example/chat:slow",
          replicas: 2,
        }),
      });

      const scheduled = await waitFor(
        "pods scheduled",
        async () => {
          const pods = await core.listNamespacedPod({ namespace, labelSelector: "app=slow" });
          return pods.items.length === 2 && pods.items.every((p) => p.spec?.nodeName)
            ? pods.items
            : undefined;
        },
        { timeoutMs: 15_000 },
      );
      const inProgress = await apps.readNamespacedDeployment({ name: "slow", namespace });
      const done = await waitForRollout(apps, "slow", namespace, 30_000);

      expect(scheduled.filter(isReady)).toEqual([]);
      expect(inProgress.status?.availableReplicas ?? 0).toBe(0);
      expect(done.status?.availableReplicas).toBe(2);
      expect(Date.now() - created).toBeGreaterThanOrEqual(4_000);
    } finally {
      await cluster.stop();
    }
  });
});
