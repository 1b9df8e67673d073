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
          environment: record.stage,
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
          context: `slipway/${record.stage}`,
          description,
          targetUrl: report.logUrl,
        });
  const failures = (await Promise.allSettled([deployment, commitStatus])).flatMap((r) =>
    r.status === "rejected" ? [describeError(r.reason)] : [],
  );
  if (failures.length > 0) {
    deps.log.warn("GitHub report failed; the ledger marks it owed", {
      stage: record.stage,
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
      { stage: record.stage, sequence: record.sequence },
      { githubReport, ...(newId === undefined ? {} : { githubDeploymentId: newId }) },
      deps.now(),
    );
  } catch (error) {
    // The state is recorded; failing now would only repeat work that already happened.
    deps.log.warn("could not store the GitHub report state", { error: describeError(error) });
  }
  return githubReport;
}
