import { DeploymentState } from "../model/deployment-state.ts";
import { type Lane, laneName } from "../model/stage-config.ts";
import type { Ledger } from "../ports/ledger.ts";
import { BuildEnv } from "../push/build-plan.ts";
import { type BuildStateChange, buildIdFromArn } from "./build-event.ts";

/** A build CodeBuild has started, in the deployer's words. */
export type BuildStart = {
  stage: string;
  service: string;
  sequence: number;
  deliveryId: string;
  buildId: string;
};

export type MarkBuildingOutcome =
  | { kind: "building" }
  | { kind: "ignored"; reason: string }
  /** The deployment already moved on (a late or repeated event): nothing changed. */
  | { kind: "duplicate"; state: DeploymentState };

/** Reads a started build from an IN_PROGRESS event; undefined when Slipway did not start it. */
export function readStartedBuild(event: BuildStateChange): BuildStart | undefined {
  if (event["build-status"] !== "IN_PROGRESS") return undefined;
  const env = new Map(
    event["additional-information"].environment["environment-variables"].map((v) => [
      v.name,
      v.value,
    ]),
  );
  const sequence = Number(env.get(BuildEnv.sequence));
  const stage = env.get(BuildEnv.stage);
  const service = env.get(BuildEnv.service);
  const deliveryId = env.get(BuildEnv.deliveryId);
  if (!stage || !service || !deliveryId || !Number.isSafeInteger(sequence) || sequence < 1) {
    return undefined;
  }
  return { stage, service, sequence, deliveryId, buildId: buildIdFromArn(event["build-id"]) };
}

/**
 * Records that CodeBuild started a queued build (queued → building), so the ledger, the
 * lifecycle events and `slipway trace` show it. It only ever moves a `queued` deployment: a
 * start event that arrives after the build finished, or twice, changes nothing.
 */
export async function markBuilding(
  deps: { ledger: Ledger; now: () => Date; target: Lane },
  build: BuildStart,
): Promise<MarkBuildingOutcome> {
  if (build.stage !== deps.target.stage || build.service !== deps.target.service) {
    return {
      kind: "ignored",
      reason: `build is for ${laneName(build)}, not ${laneName(deps.target)}`,
    };
  }
  const key = { stage: build.stage, service: build.service, sequence: build.sequence };
  const record = await deps.ledger.get(key);
  if (record === undefined) return { kind: "ignored", reason: "no such deployment in the ledger" };
  if (record.deliveryId !== build.deliveryId || record.buildId !== build.buildId) {
    return { kind: "ignored", reason: "build does not match the ledger's deployment" };
  }
  const moved = await deps.ledger.transition(key, {
    from: [DeploymentState.queued],
    to: DeploymentState.building,
    at: deps.now(),
  });
  if (moved.kind === "applied") return { kind: "building" };
  return {
    kind: "duplicate",
    state: moved.kind === "conflict" ? (moved.current?.state ?? record.state) : record.state,
  };
}
