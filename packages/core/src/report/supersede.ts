import type { DeploymentRecord } from "../model/deployment-record.ts";
import { DeploymentState, inFlightStates } from "../model/deployment-state.ts";
import { describeError } from "../model/describe-error.ts";
import type { Stage } from "../model/stage-config.ts";
import type { Builds } from "../ports/builds.ts";
import type { TransitionOutcome } from "../ports/ledger.ts";
import { owed, type ReportDeps, reportState } from "./report-state.ts";

/**
 * Marks one deployment superseded by the newer deployment `by`, if it is still in one of
 * `from` (compare-and-set, so overlapping runs are harmless), and tells GitHub through the
 * one reporting rule: the deployment inactive, the commit's check an error. `alongside` runs
 * beside the report once the state is won (the push side stops the old build there).
 */
export async function supersede(
  deps: ReportDeps,
  record: DeploymentRecord,
  by: number,
  from: readonly DeploymentState[],
  alongside?: () => Promise<void>,
): Promise<TransitionOutcome> {
  const done = await deps.ledger.transition(
    { stage: record.stage, service: record.service, sequence: record.sequence },
    { from, to: DeploymentState.superseded, at: deps.now(), fields: { ...owed, supersededBy: by } },
  );
  if (done.kind !== "applied") return done;
  const followUp = alongside?.().catch((error: unknown) => {
    deps.log.warn("follow-up of a superseded deployment failed", {
      stage: record.stage,
      sequence: record.sequence,
      buildId: record.buildId,
      error: describeError(error),
    });
  });
  await Promise.all([
    reportState(deps, done.record, {
      state: "inactive",
      description: `Superseded by #${by}`,
      // Commit statuses have no "cancelled"; a pending one would hang forever on the commit.
      commitState: "error",
      logUrl: record.logUrl,
    }),
    followUp,
  ]);
  return done;
}

/** The push side's deps: the stage it supersedes in is the GitHub environment. */
export type SupersedeDeps = Omit<ReportDeps, "target"> & { builds: Builds };

/**
 * Supersedes every in-flight deployment of the lane (the stage's one service) older than the newest one and (if the
 * stage says so) stops its build. Every concurrent push runs this after recording itself,
 * and the ledger's reads are consistent, so whichever push records last sees all others: no
 * older build survives a race. Returns the sequences this call superseded.
 */
export async function supersedeOlder(
  deps: SupersedeDeps,
  stage: Stage,
  ownSequence: number,
): Promise<number[]> {
  const active = await deps.ledger.inFlight({ stage: stage.name, service: stage.service });
  const newest = Math.max(ownSequence, ...active.map((r) => r.sequence));
  const older = active.filter((r) => r.sequence < newest);
  const outcomes = await Promise.all(
    older.map((record) =>
      supersede(
        { ...deps, target: stage },
        record,
        newest,
        inFlightStates,
        stage.stopOlderBuilds ? () => deps.builds.stop(record.buildId) : undefined,
      ),
    ),
  );
  return older.filter((_, i) => outcomes[i]?.kind === "applied").map((r) => r.sequence);
}
