/**
 * Annotations the deployer writes on every Deployment it patches. The deployment controller
 * copies them to the new ReplicaSet, so each revision says which push it came from.
 */
export const DeployAnnotation = {
  /**
   * The highest sequence ever applied to this Deployment: the ordering guard. A rollback keeps
   * it, so a late older build can never slip in after one.
   */
  sequence: "slipway.dev/sequence",
  commit: "slipway.dev/commit",
  buildId: "slipway.dev/build-id",
  deliveryId: "slipway.dev/delivery-id",
  /** The image that ran before this patch: what a failed rollout restores. */
  previousImage: "slipway.dev/previous-image",
  /** Shown by `kubectl rollout history`. */
  changeCause: "kubernetes.io/change-cause",
} as const;

/** The one label the deployer writes on its Deployments (the admission policy allows no other). */
export const DeployLabel = {
  /**
   * The highest sequence Slipway ever applied to the Deployment. The sequence annotation says
   * which build the template is; `kubectl rollout undo` replaces the annotations with an older
   * ReplicaSet's and so lowers it, but leaves labels alone: this one only rises. A patch can
   * therefore be guarded by it alone, checked by the API server in the same write.
   */
  highWater: "slipway.dev/high-water",
} as const;

/** The high-water label's sequence; 0 when absent or unreadable (Slipway never set it). */
export function readHighWater(labels: Readonly<Record<string, string>> | undefined): number {
  return parseSequence(labels?.[DeployLabel.highWater]) ?? 0;
}

/** A sequence as Slipway writes it (a positive integer); undefined for anything else. */
function parseSequence(raw: string | undefined): number | undefined {
  const sequence = raw === undefined ? Number.NaN : Number(raw);
  return Number.isSafeInteger(sequence) && sequence >= 1 ? sequence : undefined;
}

/** What Slipway last wrote on a Deployment, read back from its annotations. */
export type DeployMark = {
  sequence: number;
  commit?: string;
  buildId?: string;
  deliveryId?: string;
  previousImage?: string;
};

/** Reads the mark; undefined when Slipway never patched the Deployment (or the mark is unreadable). */
export function readDeployMark(
  annotations: Readonly<Record<string, string>>,
): DeployMark | undefined {
  const sequence = parseSequence(annotations[DeployAnnotation.sequence]);
  if (sequence === undefined) return undefined;
  const optional = (key: string, value: string | undefined) => (value ? { [key]: value } : {});
  return {
    sequence,
    ...optional("commit", annotations[DeployAnnotation.commit]),
    ...optional("buildId", annotations[DeployAnnotation.buildId]),
    ...optional("deliveryId", annotations[DeployAnnotation.deliveryId]),
    ...optional("previousImage", annotations[DeployAnnotation.previousImage]),
  };
}

/** The sequence a Deployment is guarded at: its mark's, or 0 when Slipway never patched it. */
export function guardSequence(annotations: Readonly<Record<string, string>>): number {
  return readDeployMark(annotations)?.sequence ?? 0;
}
