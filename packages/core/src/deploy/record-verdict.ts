import type { DeploymentRecord } from "../model/deployment-record.ts";
import { DeploymentState } from "../model/deployment-state.ts";
import { truncate } from "../model/truncate.ts";
import type { CommitStatusState, DeploymentStatusState } from "../ports/github-reporter.ts";
import type { TransitionOutcome } from "../ports/ledger.ts";
import { owed, reportState } from "../report/report-state.ts";
import { supersede } from "../report/supersede.ts";
import type { DeployDeps, DeployOutcome } from "./deploy-outcome.ts";

/** A final state of a rollout or restore, and how GitHub shows it. */
type Verdict = typeof DeploymentState.failed | typeof DeploymentState.replaced;

/** GitHub's deployment status and commit status for each final state Slipway reaches here. */
const github: Record<Verdict, { state: DeploymentStatusState; commit: CommitStatusState }> = {
  // The push did not deploy: the commit's check fails.
  failed: { state: "failure", commit: "failure" },
  // Not the commit's fault, and not Slipway's verdict on it: an operator took over.
  replaced: { state: "error", commit: "error" },
};

/**
 * Records `to` with its reason if the deployment is still in one of `from`, then reports it;
 * a lost compare-and-set means another run concluded first, and this one reports nothing.
 */
export async function recordVerdict(
  deps: DeployDeps,
  record: DeploymentRecord,
  from: readonly DeploymentState[],
  to: Verdict,
  reason: string,
): Promise<DeployOutcome> {
  const done = await deps.ledger.transition(key(record), {
    from,
    to,
    at: deps.now(),
    fields: { ...owed, reason: truncate(reason, 1000) },
  });
  if (done.kind !== "applied") return { kind: "duplicate", state: stateAfter(done, record) };
  const label = to === DeploymentState.replaced ? "Replaced by hand" : "Failed";
  await reportState(deps, done.record, {
    state: github[to].state,
    description: `${label} #${record.sequence}: ${reason}`,
    commitState: github[to].commit,
    logUrl: record.logUrl,
  });
  return to === DeploymentState.replaced
    ? { kind: "replaced", reason }
    : { kind: "failed", reason };
}

/** A newer deployment reached the cluster first: this one is superseded, not deployed. */
export async function recordSuperseded(
  deps: DeployDeps,
  record: DeploymentRecord,
  by: number,
  from: readonly DeploymentState[],
): Promise<DeployOutcome> {
  const done = await supersede(deps, record, by, from);
  if (done.kind !== "applied") return { kind: "duplicate", state: stateAfter(done, record) };
  return { kind: "superseded", by };
}

/** The state a lost compare-and-set found. */
export function stateAfter(
  outcome: Exclude<TransitionOutcome, { kind: "applied" }>,
  record: DeploymentRecord,
): DeploymentState {
  return outcome.kind === "conflict" ? (outcome.current?.state ?? record.state) : record.state;
}

export const key = (record: DeploymentRecord) => ({
  stage: record.stage,
  service: record.service,
  sequence: record.sequence,
});
export const short = (text: string) => text.slice(0, 7);
/** `repo@sha256:0123456789ab`: enough of a digest for people. */
export const shortImage = (image: string) =>
  image.replace(/(@sha256:[0-9a-f]{12})[0-9a-f]+$/, "$1");
