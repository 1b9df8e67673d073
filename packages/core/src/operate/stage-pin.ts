import { deployBuild } from "../deploy/deploy-build.ts";
import type { DeployDeps, DeployOutcome } from "../deploy/deploy-outcome.ts";
import { DeploymentState } from "../model/deployment-state.ts";
import type { PinOutcome, StagePin } from "../ports/ledger.ts";
import { supersede } from "../report/supersede.ts";
import { type RollbackDeps, type RollbackOutcome, rollbackStage } from "./rollback.ts";

export type PinStageOutcome = PinOutcome & { rollback?: RollbackOutcome };

/**
 * Holds the stage: from now on a successful build is recorded `held`, not deployed. With
 * `rollback`, the stage then rolls back (to `toCommit`'s build, or the previous success). The
 * pin is written first, so no build can slip in between the rollback and the pin.
 */
export async function pinStage(
  deps: RollbackDeps & { now: () => Date },
  request: { reason: string; by: string; rollback?: { toCommit?: string } },
): Promise<PinStageOutcome> {
  const toCommit = request.rollback?.toCommit;
  const pin: StagePin = {
    reason: request.reason,
    by: request.by,
    at: deps.now(),
    ...(toCommit ? { toCommit } : {}),
  };
  const pinned = await deps.ledger.pin(deps.target, pin);
  if (request.rollback === undefined) return pinned;
  const rollback = await rollbackStage(deps, {
    ...(toCommit ? { toCommit } : {}),
    requestedBy: request.by,
  });
  return { ...pinned, rollback };
}

type Deployed = { deployed?: { sequence: number; outcome: DeployOutcome } };

export type UnpinStageOutcome =
  | ({ kind: "not-pinned" } & Deployed)
  | ({ kind: "unpinned"; pin: StagePin } & Deployed);

/**
 * Releases the stage. With `deployLatest`, the newest held build rolls out as its build event
 * would have made it: through the ordering guard, so it never replaces a newer image; older
 * held builds are superseded by it.
 */
export async function unpinStage(
  deps: DeployDeps,
  request: { deployLatest: boolean },
): Promise<UnpinStageOutcome> {
  const released = await deps.ledger.unpin(deps.target);
  // Not pinned any more still deploys what is held: a retried unpin whose first try released
  // the pin and then died, or an unpin without deployLatest, must not leave it held for ever.
  if (!request.deployLatest) return released;
  const allHeld = (await deps.ledger.inFlight(deps.target)).filter(
    (r) => r.state === DeploymentState.held && r.imageDigest !== undefined,
  );
  const held = allHeld.at(-1);
  if (held === undefined) return released;
  // Only the newest held build deploys; the older ones would otherwise stay held for ever.
  for (const older of allHeld.slice(0, -1)) {
    await supersede(deps, older, held.sequence, [DeploymentState.held]);
  }
  const outcome = await deployBuild(deps, {
    stage: held.stage,
    service: held.service,
    sequence: held.sequence,
    deliveryId: held.deliveryId,
    buildId: held.buildId,
    commit: held.commit,
    buildNumber: undefined,
    logUrl: held.logUrl,
    status: "succeeded",
    image: held.imageDigest as string,
  });
  return { ...released, deployed: { sequence: held.sequence, outcome } };
}
