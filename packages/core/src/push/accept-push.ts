import {
  commitTitle,
  type DeploymentRecord,
  GitHubReport,
  type GitHubReport as GitHubReportValue,
} from "../model/deployment-record.ts";
import { DeploymentState } from "../model/deployment-state.ts";
import type { PushEvent } from "../model/push-event.ts";
import type { Stage, StageConfig } from "../model/stage-config.ts";
import type { StartedBuild } from "../ports/builds.ts";
import { type RetryDeps, type RetryPolicy, retryTransient } from "../ports/retry.ts";
import { reportState } from "../report/report-state.ts";
import { type SupersedeDeps, supersedeOlder } from "../report/supersede.ts";
import { type BuildPlan, planBuilds, type SkipReason, withSequence } from "./build-plan.ts";
import { type DeliveryRefusal, RefusalReason } from "./delivery-refusal.ts";
import { pushedAt as pushedAtOf, routePush, stalePush } from "./push-origin.ts";

export type AcceptPushDeps = SupersedeDeps &
  RetryDeps & {
    /** Every lane this webhook serves; a push is routed by its repository to that repository's services. */
    config: StageConfig;
    /** How long a claim blocks redeliveries before it may be taken over; above the handler's timeout. */
    claimLeaseMs?: number;
    /** How long delivery records are kept; more than GitHub's 3-day redelivery window. */
    deliveryRetentionMs?: number;
  };

/** How a push ended for one service it builds. */
export type ServiceOutcome =
  | DeliveryRefusal
  | { kind: "duplicate"; buildId: string | undefined }
  | {
      kind: "accepted";
      stage: string;
      service: string;
      sequence: number;
      buildId: string;
      logUrl: string;
      githubReport: GitHubReportValue;
      /** Sequences of older builds of the stage that this push superseded (may include itself). */
      superseded: number[];
    };

export type PushOutcome =
  | ServiceOutcome
  | { kind: "skipped"; reason: SkipReason }
  /** A monorepo's push that builds several services: each one's outcome, by service. */
  | { kind: "services"; outcomes: Array<{ service: string; outcome: ServiceOutcome }> };

/** Within the webhook's 10 s: at most about 0.5 s of waiting before the error escapes. */
export const pushRetryPolicy: RetryPolicy = { attempts: 3, baseDelayMs: 100, maxDelayMs: 400 };

export const defaultClaimLeaseMs = 60_000;
export const defaultDeliveryRetentionMs = 7 * 24 * 60 * 60 * 1000;

/**
 * Turns one verified push delivery into at most one build per service it touches: routing by
 * repository, policy, then for each service on its own lane: durable dedupe, sequence,
 * StartBuild, ledger record, GitHub report, and supersede older builds of that lane.
 * Skips write nothing; only infrastructure failures before a build is recorded throw.
 */
export async function acceptPush(
  deps: AcceptPushDeps,
  input: { deliveryId: string; push: PushEvent; bodyDigest: string },
): Promise<PushOutcome> {
  const routed = routePush(input.push, deps.config);
  if (routed.kind === "refused") return routed;
  const planned = planBuilds(input.push, routed.lanes, input.deliveryId);
  if (planned.kind === "skip") return { kind: "skipped", reason: planned.reason };
  const [only, ...more] = planned.plans;
  if (only !== undefined && more.length === 0) return acceptLane(deps, input, only);
  // Each service's lane is independent; every one is tried, and a failure of any is the
  // delivery's (GitHub redelivers, and the lanes already done answer duplicate).
  const settled = await Promise.allSettled(
    planned.plans.map((plan) => acceptLane(deps, input, plan)),
  );
  const failure = settled.find((r) => r.status === "rejected");
  if (failure !== undefined) throw failure.reason;
  return {
    kind: "services",
    outcomes: settled.map((r, i) => ({
      service: planned.plans[i]?.stage.service ?? "",
      outcome: (r as PromiseFulfilledResult<ServiceOutcome>).value,
    })),
  };
}

async function acceptLane(
  deps: AcceptPushDeps,
  input: { deliveryId: string; push: PushEvent; bodyDigest: string },
  plan: Extract<BuildPlan, { kind: "build" }>,
): Promise<ServiceOutcome> {
  const lane = laneOf(plan.stage);
  // Ordered by what GitHub signed, not by arrival: an old body replayed later stays old.
  const pushedAt = pushedAtOf(input.push);
  const stale = stalePush(pushedAt, (await deps.ledger.latest(lane))?.pushedAt);
  if (stale) return stale;

  const claimedAt = deps.now();
  const retainUntil = new Date(
    claimedAt.getTime() + (deps.deliveryRetentionMs ?? defaultDeliveryRetentionMs),
  );
  const claim = await deps.ledger.claimDelivery({
    deliveryId: input.deliveryId,
    service: lane.service,
    claimedAt,
    leaseUntil: new Date(claimedAt.getTime() + (deps.claimLeaseMs ?? defaultClaimLeaseMs)),
    retainUntil,
  });
  if (claim.kind === "duplicate") return claim;
  // The delivery id is not signed; the body is. The same body under a new id is a replay.
  const body = await deps.ledger.claimBody({
    bodyDigest: input.bodyDigest,
    deliveryId: input.deliveryId,
    claimedAt,
    retainUntil,
  });
  if (body.kind === "taken") {
    return {
      kind: "refused",
      reason: RefusalReason.replayed,
      detail: `this exact body was delivered before as ${body.deliveryId}; a replay builds nothing`,
    };
  }

  const sequence = await deps.ledger.assignSequence(input.deliveryId, lane);
  // StartBuild is idempotent (the delivery id is its token), so a throttled call is retried,
  // briefly: GitHub waits 10 s for the answer, and redelivers a failure anyway.
  const build = await retryTransient(deps, pushRetryPolicy, () =>
    deps.builds.start(withSequence(plan.request, sequence)),
  );
  const record = {
    ...newRecord(plan, input.deliveryId, sequence, build, deps.now()),
    pushedAt: pushedAt.toISOString(),
    receivedAt: claimedAt.toISOString(),
  };
  // Only a second claimant after an expired lease gets here with the same delivery; CodeBuild
  // returned it the same build (same token and request), so it is a duplicate, not a new build.
  const recorded = await deps.ledger.recordDeployment(record);
  if (recorded.kind === "exists") return { kind: "duplicate", buildId: build.buildId };

  // Independent of each other, and both may wait on GitHub: in parallel they stay well inside
  // GitHub's 10 s even when every GitHub call runs into its timeout.
  const [githubReport, superseded] = await Promise.all([
    reportState({ ...deps, target: plan.stage }, record, {
      state: "queued",
      description: `Build #${record.sequence} queued`,
      commitState: "pending",
      logUrl: record.logUrl,
      withEnvironmentUrl: true,
    }),
    supersedeOlder(deps, plan.stage, sequence),
  ]);
  return {
    kind: "accepted",
    stage: lane.stage,
    service: lane.service,
    sequence,
    buildId: build.buildId,
    logUrl: build.logUrl,
    githubReport,
    superseded,
  };
}

const laneOf = (stage: Stage) => ({ stage: stage.name, service: stage.service });

function newRecord(
  plan: Extract<BuildPlan, { kind: "build" }>,
  deliveryId: string,
  sequence: number,
  build: StartedBuild,
  at: Date,
): DeploymentRecord {
  const now = at.toISOString();
  return {
    stage: plan.stage.name,
    service: plan.stage.service,
    sequence,
    deliveryId,
    state: DeploymentState.queued,
    repository: plan.commit.repository,
    ref: plan.commit.ref,
    commit: plan.commit.sha,
    commitTitle: commitTitle(plan.commit.message),
    project: plan.request.projectName,
    buildId: build.buildId,
    logUrl: build.logUrl,
    // Pending until GitHub confirms, so a crash mid-report leaves an honest record.
    githubReport: GitHubReport.pending,
    createdAt: now,
    updatedAt: now,
    transitions: [{ state: DeploymentState.queued, at: now }],
  };
}
