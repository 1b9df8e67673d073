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
  /** Generation, replicas and conditions, for rolloutVerdict. */
  snapshot: DeploymentSnapshot;
};

/** A new image for the target container, applied only if the Deployment is still `resourceVersion`. */
export type ImageChange = {
  image: string;
  resourceVersion: string;
  /** Merged into `metadata.annotations`. */
  annotations: Readonly<Record<string, string>>;
};

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
  /** Sets the container image and annotations in one patch; ConflictError if the object moved. */
  setImage(target: WorkloadTarget, change: ImageChange): Promise<WorkloadState>;
  /**
   * The Deployment's state now and after every change, until `signal` aborts. A dropped watch
   * is resumed from the last resourceVersion; only repeated failures throw TransientError.
   */
  watch(target: WorkloadTarget, signal: AbortSignal): AsyncIterable<WorkloadState>;
  /** The Deployment's ReplicaSet revisions, newest first. */
  revisions(target: WorkloadTarget): Promise<WorkloadRevision[]>;
}
