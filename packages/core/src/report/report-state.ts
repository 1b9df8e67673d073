import type { DeployTarget } from "../model/deploy-target.ts";
import { type DeploymentRecord, GitHubReport } from "../model/deployment-record.ts";
import { describeError } from "../model/describe-error.ts";
import { truncate } from "../model/truncate.ts";
import type { DiagnosticLog } from "../ports/diagnostic-log.ts";
import type {
  CommitStatusState,
  DeploymentStatusState,
  GitHubReporter,
} from "../ports/github-reporter.ts";
import type { Ledger } from "../ports/ledger.ts";

export type ReportDeps = {
  ledger: Ledger;
  github: GitHubReporter;
  log: DiagnosticLog;
  now: () => Date;
  /** The GitHub environment: whether it is production, and the app's URL if it has one. */
  target: Pick<DeployTarget, "production" | "environmentUrl">;
};

/** One state of a deployment as GitHub shows it: a deployment status and, if set, a commit status. */
export type StateReport = {
  state: DeploymentStatusState;
  description: string;
  /** The commit's check: `pending` while queued, then the final state. */
  commitState?: CommitStatusState;
  /** Where to read why: the build log. */
  logUrl: string;
  /** Link the app's URL from this status (queued and success). */
  withEnvironmentUrl?: boolean;
};

/** GitHub caps status descriptions at 140 characters. */
const descriptionLimit = 140;

/**
 * The one rule for how a deployment's state reaches GitHub, from the push (queued) to the
 * end: the GitHub Deployment is created if the record has none yet (at the push, or later if
 * GitHub was down then), its status is set, and the commit status too; both go out in
 * parallel. Never throws: GitHub being down must not fail a push or repeat a rollout, so a
 * failure is logged and the ledger marks the report `pending` (owed). Returns what the ledger
 * now says.
 */
export async function reportState(
  deps: ReportDeps,
  record: DeploymentRecord,
  report: StateReport,
): Promise<GitHubReport> {
  const { repository } = record;
  const description = truncate(report.description, descriptionLimit);
  const environmentUrl = report.withEnvironmentUrl ? deps.target.environmentUrl : undefined;
  let deploymentId = record.githubDeploymentId;
  const deployment = (async () => {
    if (deploymentId === undefined) {
      deploymentId = (
        await deps.github.createDeployment({
          repository,
          sha: record.commit,
          // One environment per service: GitHub marks a success's predecessors in the same
          // environment inactive, and one service's deploy must not do that to another's.
          environment: githubEnvironment(record),
          description,
          production: deps.target.production,
          payload: {
            deliveryId: record.deliveryId,
            sequence: record.sequence,
            buildId: record.buildId,
          },
        })
      ).deploymentId;
    }
    await deps.github.setDeploymentStatus({
      repository,
      deploymentId,
      state: report.state,
      description,
      logUrl: report.logUrl,
      ...(environmentUrl ? { environmentUrl } : {}),
    });
  })();
  const commitStatus =
    report.commitState === undefined
      ? Promise.resolve()
      : deps.github.setCommitStatus({
          repository,
          sha: record.commit,
          state: report.commitState,
          context: `slipway/${record.stage}/${record.service}`,
          description,
          targetUrl: report.logUrl,
        });
  const failures = (await Promise.allSettled([deployment, commitStatus])).flatMap((r) =>
    r.status === "rejected" ? [describeError(r.reason)] : [],
  );
  if (failures.length > 0) {
    deps.log.warn("GitHub report failed; the ledger marks it owed", {
      stage: record.stage,
      service: record.service,
      sequence: record.sequence,
      state: report.state,
      errors: failures,
    });
  }
  const githubReport = failures.length === 0 ? GitHubReport.reported : GitHubReport.pending;
  const newId = deploymentId !== record.githubDeploymentId ? deploymentId : undefined;
  if (githubReport === record.githubReport && newId === undefined) return githubReport;
  try {
    await deps.ledger.annotate(
      { stage: record.stage, service: record.service, sequence: record.sequence },
      { githubReport, ...(newId === undefined ? {} : { githubDeploymentId: newId }) },
      deps.now(),
    );
  } catch (error) {
    // The state is recorded; failing now would only repeat work that already happened.
    deps.log.warn("could not store the GitHub report state", { error: describeError(error) });
  }
  return githubReport;
}

/** The GitHub Deployment environment of a lane: `<stage>/<service>`, like its commit status context. */
export function githubEnvironment(lane: { stage: string; service: string }): string {
  return `${lane.stage}/${lane.service}`;
}

/**
 * The fields every reported transition writes with its state: the report is owed until
 * reportState has sent it. A run killed between the two (a Lambda timeout) leaves the debt in
 * the ledger, and its retry or the re-check pays it (payOwedReport); without it, the ledger
 * said `reported` from the previous state and GitHub never heard of the verdict.
 */
export const owed = { githubReport: GitHubReport.pending } as const;

/** What GitHub is told for a deployment's current state; undefined where nothing is reported. */
export function reportOf(record: DeploymentRecord): StateReport | undefined {
  const n = `#${record.sequence}`;
  const reason = record.reason ?? "";
  const logUrl = record.logUrl;
  const deployed = record.transitions.some((t) => t.state === "deploying");
  switch (record.state) {
    case "held":
      return { state: "inactive", description: `Held: ${reason}`, logUrl };
    case "deploying":
      return {
        state: "in_progress",
        description: `Deploying ${n} (${record.commit.slice(0, 7)}) to ${record.stage}`,
        logUrl,
      };
    case "succeeded":
      return {
        state: "success",
        description: `Deployed ${n} (${record.commit.slice(0, 7)}) to ${record.stage}`,
        commitState: "success",
        logUrl,
        withEnvironmentUrl: true,
      };
    case "failed":
      if (!deployed) {
        const stopped = reason === "build stopped";
        return {
          state: "failure",
          description: `Build ${n} ${stopped ? "stopped" : "failed"}; nothing was deployed`,
          commitState: stopped ? "error" : "failure",
          logUrl,
        };
      }
      return {
        state: "failure",
        description: `Failed ${n}: ${reason}`,
        commitState: "failure",
        logUrl,
      };
    case "superseded":
      return {
        state: "inactive",
        description: `Superseded by #${record.supersededBy ?? "?"}`,
        commitState: "error",
        logUrl,
      };
    case "rolled_back":
      return {
        state: "failure",
        description: `Rolled back ${n}: ${reason}`,
        commitState: "failure",
        logUrl,
      };
    case "replaced":
      return {
        state: "error",
        description: `Replaced by hand ${n}: ${reason}`,
        commitState: "error",
        logUrl,
      };
    default:
      return undefined;
  }
}

/** Sends the report a deployment's state still owes GitHub, if any. Never throws. */
export async function payOwedReport(deps: ReportDeps, record: DeploymentRecord): Promise<void> {
  if (record.githubReport !== GitHubReport.pending) return;
  const report = reportOf(record);
  if (report !== undefined) await reportState(deps, record, report);
}
