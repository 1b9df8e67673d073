import type { DeploymentRecord } from "../model/deployment-record.ts";
import { DeploymentState, inFlightStates } from "../model/deployment-state.ts";
import { describeError } from "../model/describe-error.ts";
import type { Stage } from "../model/stage-config.ts";
import type { Builds } from "../ports/builds.ts";
import type { DiagnosticLog } from "../ports/diagnostic-log.ts";
import type { GitHubReporter } from "../ports/github-reporter.ts";
import type { Ledger } from "../ports/ledger.ts";

export type SupersedeDeps = {
  ledger: Ledger;
  builds: Builds;
  github: GitHubReporter;
  now: () => Date;
  log: DiagnosticLog;
};

/**
 * Marks every in-flight deployment of the stage older than the newest one superseded, and
 * (if the stage says so) stops its build. Every concurrent push runs this after recording
 * itself, and the ledger's reads are consistent, so whichever push records last sees all
 * others: no older build survives a race. Transitions are compare-and-set, so overlaps are
 * harmless. Returns the sequences this call superseded.
 */
export async function supersedeOlder(
  deps: SupersedeDeps,
  stage: Stage,
  ownSequence: number,
): Promise<number[]> {
  const active = await deps.ledger.inFlight(stage.name);
  const newest = Math.max(ownSequence, ...active.map((r) => r.sequence));
  const older = active.filter((r) => r.sequence < newest);
  const results = await Promise.all(older.map((record) => supersede(deps, stage, record, newest)));
  return older.filter((_, i) => results[i]).map((r) => r.sequence);
}

async function supersede(
  deps: SupersedeDeps,
  stage: Stage,
  record: DeploymentRecord,
  newest: number,
): Promise<boolean> {
  const outcome = await deps.ledger.transition(
    { stage: record.stage, sequence: record.sequence },
    {
      from: inFlightStates,
      to: DeploymentState.superseded,
      at: deps.now(),
      fields: { supersededBy: newest },
    },
  );
  if (outcome.kind === "conflict") return false;
  const description = `Superseded by #${newest}`;
  const followUps: Promise<unknown>[] = [
    deps.github.setCommitStatus({
      repository: record.repository,
      sha: record.commit,
      // Commit statuses have no "cancelled"; a pending one would hang forever on the commit.
      state: "error",
      context: `slipway/${record.stage}`,
      description,
      targetUrl: record.logUrl,
    }),
  ];
  if (stage.stopOlderBuilds) followUps.push(deps.builds.stop(record.buildId));
  if (record.githubDeploymentId !== undefined) {
    followUps.push(
      deps.github.setDeploymentStatus({
        repository: record.repository,
        deploymentId: record.githubDeploymentId,
        state: "inactive",
        description,
        logUrl: record.logUrl,
      }),
    );
  }
  const results = await Promise.allSettled(followUps);
  for (const result of results) {
    if (result.status === "rejected") {
      deps.log.warn("follow-up of a superseded deployment failed", {
        stage: record.stage,
        sequence: record.sequence,
        buildId: record.buildId,
        error: describeError(result.reason),
      });
    }
  }
  return true;
}
