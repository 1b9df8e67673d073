import type { AppsV1Api, V1Deployment } from "@kubernetes/client-node";
import { waitFor } from "./wait-for.ts";

/**
 * A minimal Deployment for kwok's fake nodes: nothing runs, so the image
 * only has to be a valid reference.
 */
export function deploymentManifest(opts: {
  name: string;
  namespace: string;
  image: string;
  replicas?: number;
  progressDeadlineSeconds?: number;
  nodeSelector?: Record<string, string>;
}): V1Deployment {
  const labels = { app: opts.name };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: opts.name, namespace: opts.namespace, labels },
    spec: {
      replicas: opts.replicas ?? 3,
      ...(opts.progressDeadlineSeconds
        ? { progressDeadlineSeconds: opts.progressDeadlineSeconds }
        : {}),
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [{ name: "app", image: opts.image }],
          ...(opts.nodeSelector ? { nodeSelector: opts.nodeSelector } : {}),
        },
      },
    },
  };
}

/**
 * kubectl's "rollout complete" rule for a Deployment: the controller has seen
 * the latest spec, every replica runs the new template, no old replica is
 * left, and every replica is available. Returns the reason it is not, or
 * undefined when it is complete.
 * @see https://github.com/kubernetes/kubectl/blob/master/pkg/polymorphichelpers/rollout_status.go
 */
export function rolloutPending(d: V1Deployment): string | undefined {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  if ((s.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) return "spec not yet observed";
  if ((s.updatedReplicas ?? 0) < want) return `${s.updatedReplicas ?? 0} of ${want} updated`;
  if ((s.replicas ?? 0) > (s.updatedReplicas ?? 0))
    return `${(s.replicas ?? 0) - (s.updatedReplicas ?? 0)} old replicas left`;
  if ((s.availableReplicas ?? 0) < want) return `${s.availableReplicas ?? 0} of ${want} available`;
  return undefined;
}

/** Polls the Deployment until its rollout is complete and returns it. */
export async function waitForRollout(
  apps: AppsV1Api,
  name: string,
  namespace: string,
  timeoutMs = 60_000,
): Promise<V1Deployment> {
  let last = "not read yet";
  let failed: string | undefined;
  try {
    return await waitFor(
      `rollout of ${namespace}/${name}`,
      async () => {
        const d = await apps.readNamespacedDeployment({ name, namespace });
        const deadline = d.status?.conditions?.find((c) => c.reason === "ProgressDeadlineExceeded");
        // A rollout past its deadline will not complete; stop at once.
        if (deadline) failed = `ProgressDeadlineExceeded: ${deadline.message}`;
        last = rolloutPending(d) ?? "complete";
        return last === "complete" ? d : undefined;
      },
      { timeoutMs, intervalMs: 250, failFast: () => failed },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message} (last seen: ${last})`, { cause: error });
  }
}
