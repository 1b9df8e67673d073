import {
  AppsV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1ReplicaSet,
} from "@kubernetes/client-node";
import { type WorkloadRevision, type Workloads, workloadName } from "@slipway/core";
import { followDeployment } from "./follow-deployment.ts";
import { kubeCall } from "./kube-errors.ts";
import { withTimeout } from "./request-timeout.ts";
import { toWorkloadState } from "./workload-state.ts";

export type KubeWorkloadsOptions = {
  config: KubeConfig;
  /** Deadline of each get, patch and list. @default 10_000 */
  requestTimeoutMs?: number;
  /** Length of each watch before it is resumed. @default 20 */
  watchSeconds?: number;
  sleep?: (ms: number) => Promise<void>;
};

const revisionAnnotation = "deployment.kubernetes.io/revision";

/**
 * The Workloads port on the Kubernetes API, using only what the deployer's Role grants: get,
 * patch and watch Deployments, list ReplicaSets. The image change is a strategic merge patch
 * (set explicitly: client-node's default content type is JSON Patch) that merges the
 * container by name and carries `metadata.resourceVersion`, which the API server checks as
 * a precondition and answers with 409 when the object moved.
 */
export function createKubeWorkloads(options: KubeWorkloadsOptions): Workloads {
  const apps = options.config.makeApiClient(AppsV1Api);
  const timeout = options.requestTimeoutMs ?? 10_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const read: Workloads["read"] = (target) =>
    kubeCall(`get ${workloadName(target)}`, async () =>
      toWorkloadState(
        await apps.readNamespacedDeployment(
          { name: target.name, namespace: target.namespace },
          withTimeout(timeout),
        ),
        target,
      ),
    );

  return {
    read,
    setImage: (target, change) =>
      kubeCall(`patch ${workloadName(target)}`, async () => {
        const body = {
          metadata: { resourceVersion: change.resourceVersion, annotations: change.annotations },
          spec: {
            template: { spec: { containers: [{ name: target.container, image: change.image }] } },
          },
        };
        const patched = await apps.patchNamespacedDeployment(
          { name: target.name, namespace: target.namespace, body },
          withTimeout(timeout, setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch)),
        );
        return toWorkloadState(patched, target);
      }),
    watch: (target, signal) =>
      followDeployment(options.config, target, signal, {
        read,
        watchSeconds: options.watchSeconds ?? 20,
        maxFailures: 5,
        sleep,
      }),
    revisions: async (target) => {
      const deployment = await kubeCall(`get ${workloadName(target)}`, () =>
        apps.readNamespacedDeployment(
          { name: target.name, namespace: target.namespace },
          withTimeout(timeout),
        ),
      );
      const labels = deployment.spec?.selector.matchLabels ?? {};
      const labelSelector = Object.entries(labels)
        .map(([key, value]) => `${key}=${value}`)
        .join(",");
      const sets = await kubeCall(`list replicasets of ${workloadName(target)}`, () =>
        apps.listNamespacedReplicaSet(
          { namespace: target.namespace, labelSelector },
          withTimeout(timeout),
        ),
      );
      const uid = deployment.metadata?.uid;
      return sets.items
        .filter((set) => set.metadata?.ownerReferences?.some((owner) => owner.uid === uid))
        .map((set) => toRevision(set, target.container))
        .sort((a, b) => b.revision - a.revision);
    },
  };
}

function toRevision(set: V1ReplicaSet, container: string): WorkloadRevision {
  const annotations = set.metadata?.annotations ?? {};
  return {
    revision: Number(annotations[revisionAnnotation] ?? 0),
    image: set.spec?.template?.spec?.containers.find((c) => c.name === container)?.image,
    annotations: { ...annotations },
  };
}
