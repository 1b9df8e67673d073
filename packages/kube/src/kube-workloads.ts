import type { KubeConfig, V1Deployment, V1ReplicaSetList } from "@kubernetes/client-node";
import {
  type WorkloadRevision,
  type Workloads,
  type WorkloadTarget,
  workloadName,
} from "@slipway/core";
import { type ApiConnection, openApiConnection } from "./api-connection.ts";
import { onFirstUse } from "./first-use.ts";
import { followDeployment } from "./follow-deployment.ts";
import { endpointFromKubeConfig } from "./kube-config-endpoint.ts";
import { kubeCall } from "./kube-errors.ts";
import { toWorkloadState } from "./workload-state.ts";

export type KubeWorkloadsOptions = (
  | {
      /** A kubeconfig's current context (tests, the operator's kubectl identity). */
      config: KubeConfig;
    }
  | {
      /** An open connection (the functions' EKS cluster, see connectDeployer). */
      connection: ApiConnection;
    }
) & {
  /** Deadline of each get, patch and list. @default 10_000 */
  requestTimeoutMs?: number;
  /** Length of each watch before it is resumed. @default 20 */
  watchSeconds?: number;
  sleep?: (ms: number) => Promise<void>;
};

const revisionAnnotation = "deployment.kubernetes.io/revision";

/** The strategic merge patch content type, which merges a container by name. */
const strategicMergePatch = "application/strategic-merge-patch+json";

/**
 * The Workloads port on the Kubernetes API, using only what the deployer's Role grants: get,
 * patch and watch Deployments, list ReplicaSets, as four REST calls over one connection (see
 * ApiConnection). The image change is a strategic merge patch that merges the container by
 * name and carries `metadata.resourceVersion`, which the API server checks as a precondition
 * and answers with 409 when the object moved.
 * @see https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/deployment-v1/
 */
export function createKubeWorkloads(options: KubeWorkloadsOptions): Workloads {
  const connection: () => Promise<ApiConnection> =
    "connection" in options
      ? async () => options.connection
      : onFirstUse(async () => openApiConnection(await endpointFromKubeConfig(options.config)));
  const timeout = options.requestTimeoutMs ?? 10_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const deploymentPath = (target: { namespace: string; name: string }) =>
    `/apis/apps/v1/namespaces/${encodeURIComponent(target.namespace)}/deployments/${encodeURIComponent(target.name)}`;
  // Each Deployment's label selector, as its last read showed it (see revisions).
  const selectors = new Map<string, string>();
  const getDeployment = async (target: WorkloadTarget) => {
    const deployment = await (await connection()).request<V1Deployment>({
      method: "GET",
      path: deploymentPath(target),
      signal: AbortSignal.timeout(timeout),
    });
    selectors.set(workloadName(target), labelSelector(deployment));
    return deployment;
  };
  const read: Workloads["read"] = (target) =>
    kubeCall(`get ${workloadName(target)}`, async () =>
      toWorkloadState(await getDeployment(target), target),
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
        const patched = await (await connection()).request<V1Deployment>({
          method: "PATCH",
          path: deploymentPath(target),
          body,
          contentType: strategicMergePatch,
          signal: AbortSignal.timeout(timeout),
        });
        return toWorkloadState(patched, target);
      }),
    watch: async function* (target, signal) {
      yield* followDeployment(await connection(), target, signal, {
        read,
        watchSeconds: options.watchSeconds ?? 20,
        maxFailures: 5,
        sleep,
      });
    },
    revisions: async (target) => {
      // The ReplicaSets are listed by the Deployment's selector and told apart by its uid. A
      // selector seen before is listed at once, beside the get (apps/v1 selectors never
      // change), so the guard costs one round trip, not two; a get that shows another
      // selector (the Deployment was re-created) lists again.
      const key = workloadName(target);
      const listed = (selector: string) =>
        kubeCall(`list replicasets of ${key}`, async () =>
          (await connection()).request<V1ReplicaSetList>({
            method: "GET",
            path: `/apis/apps/v1/namespaces/${encodeURIComponent(target.namespace)}/replicasets?${new URLSearchParams({ labelSelector: selector })}`,
            signal: AbortSignal.timeout(timeout),
          }),
        );
      const known = selectors.get(key);
      const early = known === undefined ? undefined : listed(known);
      early?.catch(() => {}); // awaited below, unless the selector changed
      const deployment = await kubeCall(`get ${key}`, () => getDeployment(target));
      const selector = labelSelector(deployment);
      const sets = await (selector === known && early ? early : listed(selector));
      const uid = deployment.metadata?.uid;
      return sets.items
        .filter((set) => set.metadata?.ownerReferences?.some((owner) => owner.uid === uid))
        .map((set) => toRevision(set, target.container))
        .sort((a, b) => b.revision - a.revision);
    },
  };
}

/** `key=value,…` of the Deployment's `matchLabels`, as a list's labelSelector. */
function labelSelector(deployment: V1Deployment): string {
  return Object.entries(deployment.spec?.selector.matchLabels ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
}

function toRevision(set: V1ReplicaSetList["items"][number], container: string): WorkloadRevision {
  const annotations = set.metadata?.annotations ?? {};
  return {
    name: set.metadata?.name ?? "",
    revision: Number(annotations[revisionAnnotation] ?? 0),
    image: set.spec?.template?.spec?.containers.find((c) => c.name === container)?.image,
    annotations: { ...annotations },
  };
}
