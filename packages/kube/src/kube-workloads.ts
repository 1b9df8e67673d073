import type { KubeConfig, V1Deployment, V1ReplicaSetList } from "@kubernetes/client-node";
import {
  ConflictError,
  DeployAnnotation,
  DeployLabel,
  type ImageChange,
  type WorkloadRevision,
  type Workloads,
  type WorkloadTarget,
  workloadName,
} from "@slipway/core";
import { type ApiConnection, KubeApiError, openApiConnection } from "./api-connection.ts";
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
/** RFC 6902 JSON patch: ordered operations, `test` among them, applied all or none. */
const jsonPatch = "application/json-patch+json";

/**
 * The Workloads port on the Kubernetes API, using only what the deployer's Role grants: get,
 * patch and watch Deployments, list ReplicaSets, as four REST calls over one connection (see
 * ApiConnection). An image change after a read is a strategic merge patch that merges the
 * container by name and carries `metadata.resourceVersion`, which the API server checks as a
 * precondition and answers with 409 when the object moved. One guarded by the high-water
 * label alone (no read) is a JSON patch whose `test` operations the API server evaluates on
 * the object it is about to write, all or nothing.
 * @see https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/deployment-v1/
 * @see https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/
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
  // Where the target container sits in each pod template, as last seen: a JSON patch names
  // containers by index. The patch tests the name there, so a stale index only costs a read.
  const containerIndexes = new Map<string, number>();
  const remember = (target: WorkloadTarget, deployment: V1Deployment) => {
    const index = deployment.spec?.template.spec?.containers.findIndex(
      (c) => c.name === target.container,
    );
    if (index !== undefined && index >= 0) containerIndexes.set(workloadName(target), index);
    return deployment;
  };
  const getDeployment = async (target: WorkloadTarget) => {
    const deployment = await (await connection()).request<V1Deployment>({
      method: "GET",
      path: deploymentPath(target),
      signal: AbortSignal.timeout(timeout),
    });
    selectors.set(workloadName(target), labelSelector(deployment));
    return remember(target, deployment);
  };
  const read: Workloads["read"] = (target) =>
    kubeCall(`get ${workloadName(target)}`, async () =>
      toWorkloadState(await getDeployment(target), target),
    );

  return {
    read,
    setImage: (target, change) =>
      kubeCall(`patch ${workloadName(target)}`, async () => {
        const guarded = "whileHighWater" in change;
        const request = {
          method: "PATCH" as const,
          path: deploymentPath(target),
          signal: AbortSignal.timeout(timeout),
          ...(guarded
            ? {
                body: highWaterPatch(target, change, containerIndexes.get(workloadName(target))),
                contentType: jsonPatch,
              }
            : { body: strategicPatch(target, change), contentType: strategicMergePatch }),
        };
        try {
          return toWorkloadState(
            remember(target, await (await connection()).request<V1Deployment>(request)),
            target,
          );
        } catch (error) {
          if (guarded && jsonPatchDidNotApply(error)) {
            throw new ConflictError(`patch ${workloadName(target)}: not at that high-water`, {
              cause: error,
            });
          }
          throw error;
        }
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

function strategicPatch(target: WorkloadTarget, change: ImageChange & { resourceVersion: string }) {
  return {
    metadata: {
      resourceVersion: change.resourceVersion,
      annotations: change.annotations,
      ...(change.highWater === undefined
        ? {}
        : { labels: { [DeployLabel.highWater]: String(change.highWater) } }),
    },
    spec: {
      template: { spec: { containers: [{ name: target.container, image: change.image }] } },
    },
  };
}

/**
 * The change as JSON patch operations that apply only while the high-water label reads
 * `whileHighWater` and the container sits at `index`: the tests come first, then the image
 * being replaced is copied into its annotation before it is replaced.
 */
function highWaterPatch(
  target: WorkloadTarget,
  change: ImageChange & { whileHighWater: number },
  index = 0,
) {
  const container = `/spec/template/spec/containers/${index}`;
  const label = `/metadata/labels/${pointerToken(DeployLabel.highWater)}`;
  const annotation = (key: string) => `/metadata/annotations/${pointerToken(key)}`;
  return [
    { op: "test", path: label, value: String(change.whileHighWater) },
    { op: "test", path: `${container}/name`, value: target.container },
    { op: "copy", from: `${container}/image`, path: annotation(DeployAnnotation.previousImage) },
    { op: "replace", path: `${container}/image`, value: change.image },
    ...Object.entries(change.annotations).map(([key, value]) => ({
      op: "add",
      path: annotation(key),
      value,
    })),
    ...(change.highWater === undefined
      ? []
      : [{ op: "replace", path: label, value: String(change.highWater) }]),
  ];
}

/** A key as one JSON pointer segment (RFC 6901: `~` is `~0`, `/` is `~1`). */
export const pointerToken = (key: string) => key.replaceAll("~", "~0").replaceAll("/", "~1");

/**
 * A JSON patch the API server could not apply to the object: a failed `test`, or a path the
 * object lacks. It answers 422 with this generic message and no field causes (patch.go
 * `applyJSPatch`, `NewGenericServerResponse`), unlike a validation or admission refusal,
 * whose 422 names the object.
 */
function jsonPatchDidNotApply(error: unknown): boolean {
  if (!(error instanceof KubeApiError) || error.statusCode !== 422) return false;
  const { message } = (error.body ?? {}) as { message?: unknown };
  return message === "the server rejected our request due to an error in our request";
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
