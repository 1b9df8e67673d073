import type { Logger } from "@aws-lambda-powertools/logger";
import { type DeployDeps, describeError, type RecheckResult, recheckRollouts } from "@slipway/core";
import type { LifecycleFlush } from "@slipway/wiring";
import type { Context } from "aws-lambda";

export type RecheckSettings = {
  /** How long this run follows each rollout it finds still going; well below its timeout. */
  followMs: number;
  /** Only rollouts older than the deploy function's timeout: younger ones have a live run. */
  settleAfterMs: number;
};

/**
 * The scheduled re-check: concludes rollouts that outlived the deploy function (records,
 * reports, or rolls back), so every deployment gets an outcome. Errors are logged and
 * rethrown; the next scheduled run tries again.
 */
export function createRecheckHandler(
  deps: DeployDeps & Partial<LifecycleFlush>,
  settings: RecheckSettings,
  logger: Logger,
) {
  return async (_event: unknown, context?: Context): Promise<RecheckResult[]> => {
    if (context) logger.addContext(context);
    try {
      const results = await recheckRollouts({
        ...deps,
        rolloutTimeoutMs: settings.followMs,
        settleAfterMs: settings.settleAfterMs,
      });
      for (const { sequence, outcome } of results) {
        logger.info("rollout rechecked", { stage: deps.target.stage, sequence, outcome });
      }
      return results;
    } catch (error) {
      logger.error("re-check failed; the next scheduled run tries again", {
        error: describeError(error),
      });
      throw error;
    } finally {
      await deps.settled?.();
    }
  };
}
