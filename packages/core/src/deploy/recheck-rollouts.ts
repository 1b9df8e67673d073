import type { DeploymentRecord } from "../model/deployment-record.ts";
import { DeploymentState, rolloutStates } from "../model/deployment-state.ts";
import { payOwedReport } from "../report/report-state.ts";
import { rollOut } from "./deploy-build.ts";
import type { DeployDeps, DeployOutcome } from "./deploy-outcome.ts";
import { restoreStage } from "./restore-stage.ts";

export type RecheckDeps = DeployDeps & {
  /**
   * Only deployments that entered `deploying` (or `rolling_back`) at least this long ago are
   * rechecked: younger ones are still followed by the run that started them. Set it above the
   * deploy function's timeout.
   */
  settleAfterMs: number;
  /**
   * The longest a rollout, or a restore, may take from the moment it started: past it, one
   * still progressing has failed. Kubernetes' progress deadline bounds a rollout only while it
   * makes no progress, and never a paused one or one with a huge deadline.
   * @default 30 minutes
   */
  maxRolloutMs?: number;
};

export type RecheckResult = { service: string; sequence: number; outcome: DeployOutcome };

const defaultMaxRolloutMs = 30 * 60_000;

/**
 * Concludes rollouts and restores that outlived the deploy function: for each deployment of
 * the stage left `deploying`, it makes sure every Deployment carries the image (a run may have
 * died before patching, and a Deployment this build already reached is never patched again),
 * then takes kubectl's verdict and records, reports or rolls back as the deploy function
 * would; one left `rolling_back` has its restore finished and followed. Each is bounded by
 * `maxRolloutMs`, so every deployment gets a verdict. Reports still owed to GitHub (a run died
 * before sending one, or GitHub was down) are sent again.
 */
export async function recheckRollouts(deps: RecheckDeps): Promise<RecheckResult[]> {
  const now = deps.now().getTime();
  const history = await deps.ledger.history(deps.target, 50);
  const maxMs = deps.maxRolloutMs ?? defaultMaxRolloutMs;
  const stale = history
    .flatMap((record) => {
      if (!rolloutStates.includes(record.state) || record.imageDigest === undefined) return [];
      const since = startedAt(record);
      if (since === undefined || now - since < deps.settleAfterMs) return [];
      return [{ record, image: record.imageDigest, expired: now - since >= maxMs }];
    })
    .sort((a, b) => a.record.sequence - b.record.sequence);
  // Reports a dead run or a GitHub outage left owed, for deployments already concluded.
  for (const record of history) {
    if (!rolloutStates.includes(record.state)) await payOwedReport(deps, record);
  }
  const results: RecheckResult[] = [];
  // Oldest first and one at a time: an older one then sees a newer one's image and supersedes.
  for (const { record, image, expired } of stale) {
    const outcome =
      record.state === DeploymentState.rollingBack
        ? await restoreStage(deps, record, { expired })
        : await rollOut(deps, record, { sequence: record.sequence, image }, { expired });
    results.push({ service: record.service, sequence: record.sequence, outcome });
  }
  return results;
}

/** When the deployment entered its current state (deploying or rolling_back). */
function startedAt(record: DeploymentRecord): number | undefined {
  const at = record.transitions.findLast((t) => t.state === record.state)?.at;
  return at === undefined ? undefined : Date.parse(at);
}
