import type { DeployTarget } from "../model/deploy-target.ts";
import type { Lane } from "../model/stage-config.ts";
import type { DeployDeps } from "./deploy-outcome.ts";

/** The deploy side of one stage: the shared adapters and every service's target on it. */
export type StageDeploys = Omit<DeployDeps, "target"> & { targets: readonly DeployTarget[] };

/**
 * The deps of one lane: the stage's adapters with that service's target, or undefined when
 * this stage deploys no such service (a build event of another stage's or an unknown service).
 */
export function depsForLane(deps: StageDeploys, lane: Lane): DeployDeps | undefined {
  const target = deps.targets.find((t) => t.stage === lane.stage && t.service === lane.service);
  return target === undefined ? undefined : { ...deps, target };
}

/** A stage that deploys one service: its deps as the deploy and re-check handlers take them. */
export function oneServiceStage(deps: DeployDeps): StageDeploys {
  const { target, ...shared } = deps;
  return { ...shared, targets: [target] };
}
