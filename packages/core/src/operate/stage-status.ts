import { type RolloutVerdict, rolloutVerdict } from "../deploy/rollout-verdict.ts";
import { type DeployMark, readDeployMark } from "../model/deploy-annotations.ts";
import { type OperatedStage, workloadName } from "../model/deploy-target.ts";
import type { DeploymentRecord } from "../model/deployment-record.ts";
import type { Ledger } from "../ports/ledger.ts";
import { type RetryDeps, retryTransient, transientRetryPolicy } from "../ports/retry.ts";
import type { Workloads } from "../ports/workloads.ts";

export type StageStatus = {
  stage: string;
  /** The ledger's newest deployment of the stage, whatever its state. */
  latest: DeploymentRecord | undefined;
  workloads: Array<{
    name: string;
    image: string | undefined;
    mark: DeployMark | undefined;
    verdict: RolloutVerdict;
  }>;
};

/** What a stage runs now: the ledger's latest deployment and each Deployment's image and rollout. */
export async function stageStatus(
  deps: RetryDeps & { ledger: Ledger; workloads: Workloads; target: OperatedStage },
): Promise<StageStatus> {
  const [latest, states] = await Promise.all([
    deps.ledger.latest(deps.target),
    Promise.all(
      deps.target.deployments.map((t) =>
        retryTransient(deps, transientRetryPolicy, () => deps.workloads.read(t)),
      ),
    ),
  ]);
  return {
    stage: deps.target.stage,
    latest,
    workloads: states.map((s) => ({
      name: workloadName(s.target),
      image: s.image,
      mark: readDeployMark(s.annotations),
      verdict: rolloutVerdict(s.snapshot),
    })),
  };
}
