import type { Logger } from "@aws-lambda-powertools/logger";
import {
  describeError,
  laneName,
  type RecheckResult,
  recheckRollouts,
  type StageDeploys,
} from "@slipway/core";
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
 * reports, or rolls back), so every deployment gets an outcome, service by service. One
 * service's failure never skips another's: each is tried, errors are logged, and the first is
 * rethrown at the end; the next scheduled run tries again.
 */
export function createRecheckHandler(
  deps: StageDeploys & Partial<LifecycleFlush>,
  settings: RecheckSettings,
  logger: Logger,
) {
  return async (_event: unknown, context?: Context): Promise<RecheckResult[]> => {
    if (context) logger.addContext(context);
    const all: RecheckResult[] = [];
    const errors: unknown[] = [];
    try {
      for (const target of deps.targets) {
        try {
          const results = await recheckRollouts({
            ...deps,
            target,
            rolloutTimeoutMs: settings.followMs,
            settleAfterMs: settings.settleAfterMs,
          });
          for (const { sequence, outcome } of results) {
            logger.info("rollout rechecked", { lane: laneName(target), sequence, outcome });
          }
          all.push(...results);
        } catch (error) {
          logger.error("re-check failed; the next scheduled run tries again", {
            lane: laneName(target),
            error: describeError(error),
          });
          errors.push(error);
        }
      }
    } finally {
      await deps.settled?.();
    }
    if (errors.length > 0) throw errors[0];
    return all;
  };
}
