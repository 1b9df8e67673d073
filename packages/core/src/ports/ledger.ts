import type { DeploymentFields, DeploymentKey, DeploymentRecord } from "../deployment-record.ts";
import type { DeploymentState } from "../deployment-state.ts";

/**
 * A claim on one GitHub delivery. The claim is a lease: if the claimant dies before it
 * records a build (a Lambda timeout mid-StartBuild), a redelivery after `leaseUntil` may
 * claim again, and CodeBuild's idempotency token makes the repeated StartBuild harmless.
 */
export type DeliveryClaim = {
  deliveryId: string;
  claimedAt: Date;
  leaseUntil: Date;
  /** When the record may expire; GitHub redelivers for 3 days, so it must be later than that. */
  retainUntil: Date;
};

export type DeliveryClaimOutcome =
  | { kind: "claimed" }
  | { kind: "duplicate"; buildId: string | undefined };

export type RecordOutcome = { kind: "recorded" } | { kind: "exists" };

export type TransitionChange = {
  from: readonly DeploymentState[];
  to: DeploymentState;
  at: Date;
  fields?: DeploymentFields;
};

export type TransitionOutcome =
  | { kind: "applied"; record: DeploymentRecord }
  | { kind: "conflict"; current: DeploymentRecord | undefined };

/** The longest time a claim may be kept is bounded by this minimum (GitHub's redelivery window). */
export const githubRedeliveryWindowMs = 3 * 24 * 60 * 60 * 1000;

/**
 * The deployment ledger: durable dedupe of deliveries, per-stage sequence numbers, and each
 * deployment's lifecycle. Every write is conditional, so concurrent handlers cannot both win.
 */
export interface Ledger {
  /** Claims a delivery unless it is already claimed (and its lease still runs) or started. */
  claimDelivery(claim: DeliveryClaim): Promise<DeliveryClaimOutcome>;
  /** The next number of the stage's counter: distinct and increasing under any concurrency. */
  nextSequence(stage: string): Promise<number>;
  /**
   * The delivery's sequence number, allocated on first call and then the same on every retry,
   * so a re-claimed delivery sends CodeBuild an identical request.
   */
  assignSequence(deliveryId: string, stage: string): Promise<number>;
  /** Stores a new deployment and marks its delivery started, atomically. */
  recordDeployment(record: DeploymentRecord): Promise<RecordOutcome>;
  /** Compare-and-set on the state: applies only if the current state is one of `from`. */
  transition(key: DeploymentKey, change: TransitionChange): Promise<TransitionOutcome>;
  /** Sets fields without changing the state (GitHub ids, report status). */
  annotate(key: DeploymentKey, fields: DeploymentFields, at: Date): Promise<void>;
  get(key: DeploymentKey): Promise<DeploymentRecord | undefined>;
  /** The stage's deployment with the highest sequence. */
  latest(stage: string): Promise<DeploymentRecord | undefined>;
  /** The stage's deployments, newest first. */
  history(stage: string, limit?: number): Promise<DeploymentRecord[]>;
  /** The stage's deployments whose build may still run (queued, building, held), oldest first. */
  inFlight(stage: string): Promise<DeploymentRecord[]>;
  byBuildId(buildId: string): Promise<DeploymentRecord | undefined>;
  /** Every deployment of a commit, across stages, oldest first. */
  byCommit(commit: string): Promise<DeploymentRecord[]>;
}
