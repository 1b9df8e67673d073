import type {
  DeploymentFields,
  DeploymentKey,
  DeploymentRecord,
} from "../model/deployment-record.ts";
import type { DeploymentState } from "../model/deployment-state.ts";
import type { Lane } from "../model/stage-config.ts";

/**
 * A claim on one GitHub delivery. The claim is a lease: if the claimant dies before it
 * records a build (a Lambda timeout mid-StartBuild), a redelivery after `leaseUntil` may
 * claim again, and CodeBuild's idempotency token makes the repeated StartBuild harmless.
 */
export type DeliveryClaim = {
  deliveryId: string;
  /**
   * The service the delivery builds: a monorepo's push may build several, each claimed (and
   * numbered, and recorded) on its own, so one service's retry never repeats another's build.
   */
  service: string;
  claimedAt: Date;
  leaseUntil: Date;
  /** When the record may expire; GitHub redelivers for 3 days, so it must be later than that. */
  retainUntil: Date;
};

export type DeliveryClaimOutcome =
  | { kind: "claimed" }
  | { kind: "duplicate"; buildId: string | undefined };

/** A claim on a delivery's body (its SHA-256), held for as long as delivery claims are. */
export type BodyClaim = {
  bodyDigest: string;
  deliveryId: string;
  claimedAt: Date;
  retainUntil: Date;
};

/** `taken`: another delivery id claimed the same body first (a replay). */
export type BodyClaimOutcome = { kind: "claimed" } | { kind: "taken"; deliveryId: string };

export type RecordOutcome = { kind: "recorded" } | { kind: "exists" };

export type TransitionChange = {
  from: readonly DeploymentState[];
  to: DeploymentState;
  at: Date;
  fields?: DeploymentFields;
  /**
   * Applies only while the stage is not pinned, checked in the same atomic write as the state
   * (the deploy function's guard): a pin and this transition are serialized, never interleaved.
   */
  unlessPinned?: boolean;
};

export type TransitionOutcome =
  | { kind: "applied"; record: DeploymentRecord }
  | { kind: "conflict"; current: DeploymentRecord | undefined }
  /** Only with `unlessPinned`: the stage is pinned, nothing was written. */
  | { kind: "pinned"; pin: StagePin };

/** An operator's hold on a stage: successful builds are recorded `held`, not deployed. */
export type StagePin = {
  reason: string;
  /** Who pinned (an operator's name or ARN). */
  by: string;
  at: Date;
  /** The commit the stage was rolled back to when pinning, if any. */
  toCommit?: string;
};

export type PinOutcome =
  /**
   * `lastGuarded` is the highest sequence that passed the deploy guard before the pin: every
   * build up to it may reach the cluster, none after it can until unpinned.
   */
  { kind: "pinned"; pin: StagePin; lastGuarded: number } | { kind: "already"; pin: StagePin };

export type UnpinOutcome = { kind: "unpinned"; pin: StagePin } | { kind: "not-pinned" };

/** The longest time a claim may be kept is bounded by this minimum (GitHub's redelivery window). */
export const githubRedeliveryWindowMs = 3 * 24 * 60 * 60 * 1000;

/**
 * The deployment ledger: durable dedupe of deliveries, per-lane (stage × service) sequence
 * numbers, pins and history, and each
 * deployment's lifecycle. Every write is conditional, so concurrent handlers cannot both win.
 * Only what core's use cases call; an adapter may offer more to its own tests and tools.
 */
export interface Ledger {
  /** Claims a delivery unless it is already claimed (and its lease still runs) or started. */
  claimDelivery(claim: DeliveryClaim): Promise<DeliveryClaimOutcome>;
  /**
   * Claims a signed body for one delivery id: the same id may claim it again (GitHub's
   * redelivery of a failed attempt), any other id is answered `taken` until the claim expires.
   */
  claimBody(claim: BodyClaim): Promise<BodyClaimOutcome>;
  /**
   * The delivery's sequence number, allocated on first call and then the same on every retry,
   * so a re-claimed delivery sends CodeBuild an identical request.
   */
  assignSequence(deliveryId: string, lane: Lane): Promise<number>;
  /** Stores a new deployment and marks its delivery started, atomically. */
  recordDeployment(record: DeploymentRecord): Promise<RecordOutcome>;
  /** Compare-and-set on the state: applies only if the current state is one of `from`. */
  transition(key: DeploymentKey, change: TransitionChange): Promise<TransitionOutcome>;
  /** Sets fields without changing the state (GitHub ids, report status). */
  annotate(key: DeploymentKey, fields: DeploymentFields, at: Date): Promise<void>;
  get(key: DeploymentKey): Promise<DeploymentRecord | undefined>;
  /** The lane's deployment with the highest sequence. */
  latest(lane: Lane): Promise<DeploymentRecord | undefined>;
  /** The lane's deployments, newest first. */
  history(lane: Lane, limit?: number): Promise<DeploymentRecord[]>;
  /** The lane's deployments whose build may still run (queued, building, held), oldest first. */
  inFlight(lane: Lane): Promise<DeploymentRecord[]>;
  /** Every deployment of a commit, across stages, oldest first. */
  byCommit(commit: string): Promise<DeploymentRecord[]>;
  /**
   * Pins the lane (one service on one stage; the others keep deploying) unless it is pinned already (a conditional write). Why in the ledger and
   * not as an annotation on each Deployment: a stage has several Deployments, and per-object
   * pins racing per-object patches could leave a stage half on the new image. One stage-wide
   * item, written by the pin and checked-and-marked by `transition({ unlessPinned })` in the
   * same transaction as the move to `deploying`, serializes the two: a build either passed
   * the guard before the pin (and `lastGuarded` says so) or is recorded `held`.
   */
  pin(lane: Lane, pin: StagePin): Promise<PinOutcome>;
  /** Releases the lane's pin, if any. */
  unpin(lane: Lane): Promise<UnpinOutcome>;
}
