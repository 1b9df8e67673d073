import {
  commitTitle,
  type DeploymentRecord,
  GitHubReport,
  type GitHubReport as GitHubReportValue,
} from "../model/deployment-record.ts";
import { DeploymentState } from "../model/deployment-state.ts";
import type { PushEvent } from "../model/push-event.ts";
import type { StageConfig } from "../model/stage-config.ts";
import type { StartedBuild } from "../ports/builds.ts";
import { type RetryDeps, type RetryPolicy, retryTransient } from "../ports/retry.ts";
import { reportState } from "../report/report-state.ts";
import { type SupersedeDeps, supersedeOlder } from "../report/supersede.ts";
import { type BuildPlan, planBuild, type SkipReason, withSequence } from "./build-plan.ts";
import { type DeliveryRefusal, RefusalReason } from "./delivery-refusal.ts";
import {
  foreignRepository,
  type GitHubRepository,
  pushedAt as pushedAtOf,
  stalePush,
} from "./push-origin.ts";

export type AcceptPushDeps = SupersedeDeps &
  RetryDeps & {
    config: StageConfig;
    /** The repository this stage builds; pushes of any other are refused. */
    repository: GitHubRepository;
    /** How long a claim blocks redeliveries before it may be taken over; above the handler's timeout. */
    claimLeaseMs?: number;
    /** How long delivery records are kept; more than GitHub's 3-day redelivery window. */
    deliveryRetentionMs?: number;
  };

export type PushOutcome =
  | DeliveryRefusal
  | { kind: "skipped"; reason: SkipReason }
  | { kind: "duplicate"; buildId: string | undefined }
  | {
      kind: "accepted";
      stage: string;
      sequence: number;
      buildId: string;
      logUrl: string;
      githubReport: GitHubReportValue;
      /** Sequences of older builds of the stage that this push superseded (may include itself). */
      superseded: number[];
    };

/** Within the webhook's 10 s: at most about 0.5 s of waiting before the error escapes. */
export const pushRetryPolicy: RetryPolicy = { attempts: 3, baseDelayMs: 100, maxDelayMs: 400 };

export const defaultClaimLeaseMs = 60_000;
export const defaultDeliveryRetentionMs = 7 * 24 * 60 * 60 * 1000;

/**
 * Turns one verified push delivery into at most one build: policy, durable dedupe, sequence,
 * StartBuild, ledger record, GitHub report, then supersede older builds of the stage.
 * Skips write nothing; only infrastructure failures before the build is recorded throw.
 */
export async function acceptPush(
  deps: AcceptPushDeps,
  input: { deliveryId: string; push: PushEvent; bodyDigest: string },
): Promise<PushOutcome> {
  const foreign = foreignRepository(input.push, deps.repository);
  if (foreign) return foreign;
  const plan = planBuild(input.push, deps.config, input.deliveryId);
  if (plan.kind === "skip") return { kind: "skipped", reason: plan.reason };
  // Ordered by what GitHub signed, not by arrival: an old body replayed later stays old.
  const pushedAt = pushedAtOf(input.push);
  const stale = stalePush(pushedAt, (await deps.ledger.latest(plan.stage.name))?.pushedAt);
  if (stale) return stale;

  const claimedAt = deps.now();
  const retainUntil = new Date(
    claimedAt.getTime() + (deps.deliveryRetentionMs ?? defaultDeliveryRetentionMs),
  );
  const claim = await deps.ledger.claimDelivery({
    deliveryId: input.deliveryId,
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

  const sequence = await deps.ledger.assignSequence(input.deliveryId, plan.stage.name);
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
    stage: plan.stage.name,
    sequence,
    buildId: build.buildId,
    logUrl: build.logUrl,
    githubReport,
    superseded,
  };
}

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
