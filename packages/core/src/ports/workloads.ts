import type { DeploymentSnapshot } from "../deploy/rollout-verdict.ts";
import type { WorkloadTarget } from "../model/stage-config.ts";

/** One Deployment as the deployer needs it: what runs, what Slipway wrote, how the rollout goes. */
export type WorkloadState = {
  target: WorkloadTarget;
  /** `metadata.resourceVersion`: the precondition of the next change. */
  resourceVersion: string;
  /** The target container's image; undefined if the Deployment has no such container. */
  image: string | undefined;
  /** `metadata.annotations`, as read. */
  annotations: Readonly<Record<string, string>>;
  /**
   * The high-water label (DeployLabel.highWater): the highest sequence Slipway ever applied
   * to this Deployment, 0 when it has none. Unlike the annotations, `kubectl rollout undo`
   * leaves labels alone, so it never goes down.
   */
  highWater: number;
  /** Generation, replicas and conditions, for rolloutVerdict. */
  snapshot: DeploymentSnapshot;
};

/** A new image for the target container, applied only while its precondition holds. */
export type ImageChange = {
  image: string;
  /** Merged into `metadata.annotations`. */
  annotations: Readonly<Record<string, string>>;
  /**
   * Sets the high-water label to this in the same write. Callers never pass less than the
   * label they read (the admission policy refuses a lower one).
   */
  highWater?: number;
} & (
  | {
      /** Applied only while the Deployment is still at this resourceVersion (as read). */
      resourceVersion: string;
    }
  | {
      /**
       * Applied only while the high-water label still reads this, which the API server checks
       * in the same write: no read first. The replaced image, which the caller has not seen,
       * is recorded by the server under DeployAnnotation.previousImage.
       */
      whileHighWater: number;
    }
);

/** One earlier revision of a Deployment, from its ReplicaSets (what `kubectl rollout undo` uses). */
export type WorkloadRevision = {
  /** The ReplicaSet's name, as the Deployment's conditions name it. */
  name: string;
  revision: number;
  image: string | undefined;
  annotations: Readonly<Record<string, string>>;
};

/**
 * The workload's Deployments (Kubernetes in production). Only what the deployer's Role allows:
 * get, patch and watch Deployments, list ReplicaSets, in the workload namespace.
 * Adapters throw TransientError (429, 5xx, network), ConflictError (409) and RefusedError.
 */
export interface Workloads {
  read(target: WorkloadTarget): Promise<WorkloadState>;
  /**
   * Sets the container image and annotations in one patch; ConflictError when the precondition
   * does not hold (the object moved, another high-water, no such container where expected).
   */
  setImage(target: WorkloadTarget, change: ImageChange): Promise<WorkloadState>;
  /**
   * The Deployment's state now and after every change, until `signal` aborts. A dropped watch
   * is resumed from the last resourceVersion; only repeated failures throw TransientError.
   */
  watch(target: WorkloadTarget, signal: AbortSignal): AsyncIterable<WorkloadState>;
  /** The Deployment's ReplicaSet revisions, newest first. */
  revisions(target: WorkloadTarget): Promise<WorkloadRevision[]>;
}
