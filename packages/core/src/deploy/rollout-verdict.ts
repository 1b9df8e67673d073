/**
 * The parts of a Kubernetes Deployment that decide whether a rollout is done, as plain data.
 * Field names match the API (apps/v1), so a client's Deployment object fits as it is.
 */
export type DeploymentSnapshot = {
  metadata?: { name?: string; generation?: number };
  spec?: { replicas?: number; paused?: boolean };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: ReadonlyArray<{ type: string; status: string; reason?: string; message?: string }>;
  };
};

export type RolloutVerdict =
  | { kind: "complete"; message: string }
  | { kind: "progressing"; message: string }
  | { kind: "failed"; reason: "ProgressDeadlineExceeded"; message: string };

/**
 * Whether a Deployment's rollout is complete, still progressing, or failed, by the same rules
 * as `kubectl rollout status`.
 * @see https://github.com/kubernetes/kubectl/blob/master/pkg/polymorphichelpers/rollout_status.go
 */
export function rolloutVerdict(deployment: DeploymentSnapshot): RolloutVerdict {
  const name = deployment.metadata?.name ?? "deployment";
  const generation = deployment.metadata?.generation ?? 0;
  const status = deployment.status ?? {};
  // Until the controller has seen the latest spec, every other field describes the old one.
  if (generation > (status.observedGeneration ?? 0)) {
    return { kind: "progressing", message: `waiting for ${name} spec update to be observed` };
  }
  const progressing = status.conditions?.find((condition) => condition.type === "Progressing");
  if (progressing?.reason === "ProgressDeadlineExceeded") {
    return {
      kind: "failed",
      reason: "ProgressDeadlineExceeded",
      message: `${name} exceeded its progress deadline${progressing.message ? `: ${progressing.message}` : ""}`,
    };
  }
  const desired = deployment.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const total = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (updated < desired) {
    return {
      kind: "progressing",
      message: `${name}: ${updated} of ${desired} new replicas updated`,
    };
  }
  if (total > updated) {
    return {
      kind: "progressing",
      message: `${name}: ${total - updated} old replicas pending termination`,
    };
  }
  if (available < updated) {
    return {
      kind: "progressing",
      message: `${name}: ${available} of ${updated} updated replicas available`,
    };
  }
  return { kind: "complete", message: `${name} successfully rolled out` };
}
