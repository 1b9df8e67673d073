import {
  commitTitle,
  type DeploymentRecord,
  GitHubReport,
  type GitHubReport as GitHubReportValue,
} from "../model/deployment-record.ts";
import { DeploymentState } from "../model/deployment-state.ts";
import { describeError } from "../model/describe-error.ts";
import type { PushEvent } from "../model/push-event.ts";
import type { StageConfig } from "../model/stage-config.ts";
import type { StartedBuild } from "../ports/builds.ts";
import { type SupersedeDeps, supersedeOlder } from "../report/supersede.ts";
import { type BuildPlan, planBuild, type SkipReason, withSequence } from "./build-plan.ts";

export type AcceptPushDeps = SupersedeDeps & {
  config: StageConfig;
  /** How long a claim blocks redeliveries before it may be taken over; above the handler's timeout. */
  claimLeaseMs?: number;
  /** How long delivery records are kept; more than GitHub's 3-day redelivery window. */
  deliveryRetentionMs?: number;
};

export type PushOutcome =
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

export const defaultClaimLeaseMs = 60_000;
export const defaultDeliveryRetentionMs = 7 * 24 * 60 * 60 * 1000;

/**
 * Turns one verified push delivery into at most one build: policy, durable dedupe, sequence,
 * StartBuild, ledger record, GitHub report, then supersede older builds of the stage.
 * Skips write nothing; only infrastructure failures before the build is recorded throw.
 */
export async function acceptPush(
  deps: AcceptPushDeps,
  input: { deliveryId: string; push: PushEvent },
): Promise<PushOutcome> {
  const plan = planBuild(input.push, deps.config, input.deliveryId);
  if (plan.kind === "skip") return { kind: "skipped", reason: plan.reason };

  const claimedAt = deps.now();
  const claim = await deps.ledger.claimDelivery({
    deliveryId: input.deliveryId,
    claimedAt,
    leaseUntil: new Date(claimedAt.getTime() + (deps.claimLeaseMs ?? defaultClaimLeaseMs)),
    retainUntil: new Date(
      claimedAt.getTime() + (deps.deliveryRetentionMs ?? defaultDeliveryRetentionMs),
    ),
  });
  if (claim.kind === "duplicate") return claim;

  const sequence = await deps.ledger.assignSequence(input.deliveryId, plan.stage.name);
  const build = await deps.builds.start(withSequence(plan.request, sequence));
  const record = {
    ...newRecord(plan, input.deliveryId, sequence, build, deps.now()),
    receivedAt: claimedAt.toISOString(),
  };
  // Only a second claimant after an expired lease gets here with the same delivery; CodeBuild
  // returned it the same build (same token and request), so it is a duplicate, not a new build.
  const recorded = await deps.ledger.recordDeployment(record);
  if (recorded.kind === "exists") return { kind: "duplicate", buildId: build.buildId };

  // Independent of each other, and both may wait on GitHub: in parallel they stay well inside
  // GitHub's 10 s even when every GitHub call runs into its timeout.
  const [githubReport, superseded] = await Promise.all([
    reportQueued(deps, plan, record),
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

/**
 * Creates the GitHub Deployment (status queued, linking the build log) and a pending commit
 * status. A GitHub failure never fails the push: the build already runs, so it is logged and
 * the record stays `pending` for the deploy function to report later.
 */
async function reportQueued(
  deps: AcceptPushDeps,
  plan: Extract<BuildPlan, { kind: "build" }>,
  record: DeploymentRecord,
): Promise<GitHubReportValue> {
  const { repository } = record;
  const description = `Build #${record.sequence} queued`;
  let deploymentId: number | undefined;
  const deployment = deps.github
    .createDeployment({
      repository,
      sha: record.commit,
      environment: record.stage,
      description,
      production: plan.stage.production,
      payload: {
        deliveryId: record.deliveryId,
        sequence: record.sequence,
        buildId: record.buildId,
      },
    })
    .then((created) => {
      deploymentId = created.deploymentId;
      return deps.github.setDeploymentStatus({
        repository,
        deploymentId: created.deploymentId,
        state: "queued",
        description,
        logUrl: record.logUrl,
        ...(plan.stage.environmentUrl ? { environmentUrl: plan.stage.environmentUrl } : {}),
      });
    });
  const commitStatus = deps.github.setCommitStatus({
    repository,
    sha: record.commit,
    state: "pending",
    context: `slipway/${record.stage}`,
    description,
    targetUrl: record.logUrl,
  });
  const results = await Promise.allSettled([deployment, commitStatus]);
  const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
  const report = failures.length === 0 ? GitHubReport.reported : GitHubReport.pending;
  if (failures.length > 0) {
    deps.log.warn("GitHub report failed; the build runs and the report is marked pending", {
      stage: record.stage,
      sequence: record.sequence,
      errors: failures.map(describeError),
    });
  }
  if (report === GitHubReport.pending && deploymentId === undefined) return report;
  try {
    await deps.ledger.annotate(
      { stage: record.stage, sequence: record.sequence },
      {
        githubReport: report,
        ...(deploymentId === undefined ? {} : { githubDeploymentId: deploymentId }),
      },
      deps.now(),
    );
  } catch (error) {
    // The build and its record exist; failing now would only invite a pointless redelivery.
    deps.log.warn("could not store the GitHub report state", { error: describeError(error) });
  }
  return report;
}
