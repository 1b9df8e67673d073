import { DeploymentState } from "../model/deployment-state.ts";
import { type DeployDeps, type DeployOutcome, rollOut } from "./deploy-build.ts";

export type RecheckDeps = DeployDeps & {
  /**
   * Only deployments that entered `deploying` at least this long ago are rechecked: younger
   * ones are still followed by the run that started them. Set it above the deploy function's
   * timeout.
   */
  settleAfterMs: number;
};

export type RecheckResult = { sequence: number; outcome: DeployOutcome };

/**
 * Concludes rollouts that outlived the deploy function: for each deployment of the stage left
 * `deploying`, it makes sure every Deployment carries the image (a run may have died before
 * patching), then takes kubectl's verdict and records, reports or rolls back as the deploy
 * function would. Still-progressing rollouts wait for the next run; Kubernetes' progress
 * deadline guarantees each one eventually completes or fails.
 */
export async function recheckRollouts(deps: RecheckDeps): Promise<RecheckResult[]> {
  const now = deps.now().getTime();
  const history = await deps.ledger.history(deps.target.stage, 50);
  const stale = history
    .flatMap((record) => {
      const image = record.imageDigest;
      if (record.state !== DeploymentState.deploying || image === undefined) return [];
      const since = record.transitions.findLast((t) => t.state === DeploymentState.deploying)?.at;
      const settled = since !== undefined && now - Date.parse(since) >= deps.settleAfterMs;
      return settled ? [{ record, image }] : [];
    })
    .sort((a, b) => a.record.sequence - b.record.sequence);
  const results: RecheckResult[] = [];
  // Oldest first and one at a time: an older one then sees a newer one's image and supersedes.
  for (const { record, image } of stale) {
    results.push({
      sequence: record.sequence,
      outcome: await rollOut(deps, record, { sequence: record.sequence, image }),
    });
  }
  return results;
}
