import { Logger } from "@aws-lambda-powertools/logger";
import { readDeploySettings, wireDeploy, withLinkedSecrets } from "@slipway/wiring";
import { createRecheckHandler } from "./recheck-handler.ts";

const logger = new Logger({ serviceName: "slipway-recheck" });
const settings = readDeploySettings(withLinkedSecrets(process.env));

/**
 * Every minute (an EventBridge schedule): conclude rollouts that outlived the deploy
 * function. A rollout is left to its own run until that run's timeout (the rollout bound plus
 * 60 s) has surely passed.
 */
export const handler = createRecheckHandler(
  wireDeploy(settings, logger),
  { followMs: 20_000, settleAfterMs: settings.rolloutTimeoutMs + 90_000 },
  logger,
);
