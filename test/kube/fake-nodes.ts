import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { waitFor } from "./wait-for.ts";

/** The annotation kwok is told to manage (--manage-nodes-with-annotation-selector). */
export const kwokNodeSelector = "kwok.x-k8s.io/node=fake";

/**
 * Zones of the fake nodes: two, like the EKS node group across two AZs, so
 * topology spread constraints and zone anti-affinity have something to act on.
 */
export const fakeNodeZones = ["zone-a", "zone-b"] as const;

/**
 * Registers one Node per zone for kwok to play the kubelet of. Nothing needs
 * a taint: no real kubelet exists that could pick the pods up instead.
 */
export async function createFakeNodes(admin: KubeConfig): Promise<string[]> {
  const core = admin.makeApiClient(CoreV1Api);
  const [key, value] = kwokNodeSelector.split("=") as [string, string];
  const names: string[] = [];
  for (const zone of fakeNodeZones) {
    const name = `kwok-${zone}`;
    await core.createNode({
      body: {
        metadata: {
          name,
          annotations: { [key]: value },
          labels: {
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "node.kubernetes.io/instance-type": "kwok",
            "topology.kubernetes.io/zone": zone,
            type: "kwok",
          },
        },
      },
    });
    names.push(name);
  }
  return names;
}

/**
 * Waits until every named node is Ready=True (set by kwok) and has lost the
 * node.kubernetes.io/not-ready taint (removed by the node lifecycle
 * controller a few seconds later); until then the scheduler skips it.
 */
export async function waitForNodesReady(
  admin: KubeConfig,
  names: readonly string[],
  opts: { timeoutMs: number; failFast?: () => string | undefined },
): Promise<void> {
  const core = admin.makeApiClient(CoreV1Api);
  await waitFor(
    `nodes ${names.join(", ")} Ready and untainted`,
    async () => {
      const nodes = await core.listNode({});
      const ready = new Set(
        nodes.items
          .filter((node) =>
            node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
          )
          .filter(
            (node) =>
              !node.spec?.taints?.some(
                (t) => t.effect === "NoSchedule" || t.effect === "NoExecute",
              ),
          )
          .map((node) => node.metadata?.name),
      );
      return names.every((name) => ready.has(name)) ? true : undefined;
    },
    opts,
  );
}
