import type { Logger } from "@aws-lambda-powertools/logger";
import {
  BuildEvent,
  BuildEventEnvelope,
  type DeployOutcome,
  deployBuild,
  depsForLane,
  describeError,
  laneName,
  type MarkBuildingOutcome,
  markBuilding,
  readFinishedBuild,
  readStartedBuild,
  type StageDeploys,
} from "@slipway/core";
import type { LifecycleFlush } from "@slipway/wiring";
import type { Context } from "aws-lambda";

export type DeployResult =
  | DeployOutcome
  | MarkBuildingOutcome
  | { kind: "dropped"; reason: string };

const eventKeys = ["deliveryId", "stage", "lane", "sequence", "buildId"];

/**
 * EventBridge "CodeBuild Build State Change" → one deployBuild, with the deps of the service
 * the build names. Unknown or malformed events, and builds of a service this stage does not
 * deploy, are logged and dropped (a retry could never fix them); infrastructure errors are
 * rethrown, so Lambda retries the event and then parks it in the DLQ.
 */
export function createDeployHandler(deps: StageDeploys & Partial<LifecycleFlush>, logger: Logger) {
  return async (event: unknown, context?: Context): Promise<DeployResult> => {
    if (context) logger.addContext(context);
    // Only CodeBuild's build state changes: the rule says so, and so does the handler.
    if (!BuildEventEnvelope.safeParse(event).success) {
      logger.warn("event dropped", { reason: "not a CodeBuild Build State Change" });
      return { kind: "dropped", reason: "not a CodeBuild build state change" };
    }
    const parsed = BuildEvent.safeParse(event);
    if (!parsed.success) {
      // Zod's messages name paths, never the event's values.
      logger.warn("event dropped", {
        reason: "malformed",
        detail: describeError(parsed.error),
      });
      return { kind: "dropped", reason: "not a CodeBuild build state change" };
    }
    // A start (IN_PROGRESS, from its own rule) only moves the ledger from queued to building.
    const started = readStartedBuild(parsed.data.detail);
    if (started !== undefined) {
      const lane = depsForLane(deps, started);
      if (lane === undefined) return unknownService(logger, started);
      logger.appendPersistentKeys({
        deliveryId: started.deliveryId,
        stage: started.stage,
        // Powertools reserves `service` (the function's own name), so the lane names it.
        lane: laneName(started),
      });
      try {
        const outcome = await markBuilding(lane, started);
        logger.info("build start handled", { outcome });
        return outcome;
      } finally {
        await deps.settled?.();
        logger.removePersistentKeys(eventKeys);
      }
    }
    const read = readFinishedBuild(parsed.data.detail);
    if (read.kind !== "finished") {
      logger.warn("event dropped", { reason: read.kind, detail: read });
      return { kind: "dropped", reason: read.kind };
    }
    const { build } = read;
    const lane = depsForLane(deps, build);
    if (lane === undefined) return unknownService(logger, build);
    // The delivery id follows the push from the webhook through the build to here.
    logger.appendPersistentKeys({
      deliveryId: build.deliveryId,
      stage: build.stage,
      lane: laneName(build),
      sequence: build.sequence,
      buildId: build.buildId,
    });
    try {
      const outcome = await deployBuild(lane, build);
      logger.info("build handled", { outcome });
      return outcome;
    } catch (error) {
      logger.error("deploy failed; Lambda retries the event, then the DLQ", {
        error: describeError(error),
        cause: error instanceof Error ? describeError(error.cause) : undefined,
      });
      throw error;
    } finally {
      // Lifecycle events run beside the rollout; none may be lost when the container freezes.
      await deps.settled?.();
      logger.removePersistentKeys(eventKeys);
    }
  };
}

function unknownService(logger: Logger, build: { stage: string; service: string }): DeployResult {
  const reason = `this stage deploys no service ${build.service} on stage ${build.stage}`;
  logger.warn("event dropped", { reason: "unknown-service", detail: reason });
  return { kind: "dropped", reason: "unknown-service" };
}
