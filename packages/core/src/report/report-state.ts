import { truncate } from "../deploy/restore-images.ts";
import type { DeployTarget } from "../model/deploy-target.ts";
import { type DeploymentRecord, GitHubReport } from "../model/deployment-record.ts";
import { describeError } from "../model/describe-error.ts";
import type { DiagnosticLog } from "../ports/diagnostic-log.ts";
import type {
  CommitStatusState,
  DeploymentStatusState,
  GitHubReporter,
} from "../ports/github-reporter.ts";
import type { Ledger } from "../ports/ledger.ts";

export type DeployReportDeps = {
  ledger: Ledger;
  github: GitHubReporter;
  log: DiagnosticLog;
  now: () => Date;
  target: DeployTarget;
};

/** One state of a deployment as GitHub shows it: a deployment status and, if final, a commit status. */
export type DeployReport = {
  state: DeploymentStatusState;
  description: string;
  /** Set for the final states; the commit's check then leaves `pending`. */
  commitState?: CommitStatusState;
  /** Where to read why: the build log. */
  logUrl: string;
  withEnvironmentUrl?: boolean;
};

/** GitHub caps status descriptions at 140 characters. */
const descriptionLimit = 140;

/**
 * Tells GitHub about a deployment's state. The GitHub Deployment is created here if the push
 * could not create it (GitHub was down then). Never throws: GitHub being down must not fail
 * or repeat a rollout, so failures are logged and the ledger notes that a report is owed.
 */
export async function reportDeploy(
  deps: DeployReportDeps,
  record: DeploymentRecord,
  report: DeployReport,
): Promise<void> {
  const { repository } = record;
  const description = truncate(report.description, descriptionLimit);
  const environmentUrl = report.withEnvironmentUrl ? deps.target.environmentUrl : undefined;
  let deploymentId = record.githubDeploymentId;
  const sent: Promise<unknown>[] = [];
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
  sent.push(deployment);
  if (report.commitState) {
    sent.push(
      deps.github.setCommitStatus({
        repository,
        sha: record.commit,
        state: report.commitState,
        context: `slipway/${record.stage}`,
        description,
        targetUrl: report.logUrl,
      }),
    );
  }
  const failures = (await Promise.allSettled(sent)).flatMap((r) =>
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
  if (githubReport === record.githubReport && newId === undefined) return;
  try {
    await deps.ledger.annotate(
      { stage: record.stage, sequence: record.sequence },
      { githubReport, ...(newId === undefined ? {} : { githubDeploymentId: newId }) },
      deps.now(),
    );
  } catch (error) {
    deps.log.warn("could not store the GitHub report state", { error: describeError(error) });
  }
}
