import type { V1Deployment } from "@kubernetes/client-node";
import { readHighWater, type WorkloadState, type WorkloadTarget } from "@slipway/core";

/** The parts of a Deployment core judges, as plain data. */
export function toWorkloadState(deployment: V1Deployment, target: WorkloadTarget): WorkloadState {
  const { metadata, spec, status } = deployment;
  const container = spec?.template.spec?.containers.find((c) => c.name === target.container);
  return {
    target,
    resourceVersion: metadata?.resourceVersion ?? "",
    image: container?.image,
    annotations: { ...(metadata?.annotations ?? {}) },
    highWater: readHighWater(metadata?.labels),
    snapshot: {
      metadata: {
        ...(metadata?.name ? { name: metadata.name } : {}),
        ...(metadata?.generation !== undefined ? { generation: metadata.generation } : {}),
      },
      spec: spec?.replicas !== undefined ? { replicas: spec.replicas } : {},
      status: {
        ...(status?.observedGeneration !== undefined
          ? { observedGeneration: status.observedGeneration }
          : {}),
        ...(status?.replicas !== undefined ? { replicas: status.replicas } : {}),
        ...(status?.updatedReplicas !== undefined
          ? { updatedReplicas: status.updatedReplicas }
          : {}),
        ...(status?.availableReplicas !== undefined
          ? { availableReplicas: status.availableReplicas }
          : {}),
        conditions: (status?.conditions ?? []).map((c) => ({
          type: c.type,
          status: c.status,
          ...(c.reason ? { reason: c.reason } : {}),
          ...(c.message ? { message: c.message } : {}),
        })),
      },
    },
  };
}
