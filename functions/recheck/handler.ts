import { Logger } from "@aws-lambda-powertools/logger";
import { readDeployConfig } from "./shared/deploy-config.ts";
import { createDeployDeps } from "./shared/deploy-deps.ts";
import { withLinkedSecrets } from "./shared/linked-secrets.ts";
import { createRecheckHandler } from "./shared/recheck-handler.ts";

const logger = new Logger({ serviceName: "slipway-recheck" });
const config = readDeployConfig(withLinkedSecrets(process.env));
const deps = createDeployDeps(config, logger);

/**
 * Every minute (an EventBridge schedule): conclude rollouts that outlived the deploy
 * function. A rollout is left to its own run until that run's timeout (the rollout bound plus
 * 60 s) has surely passed.
 */
export const handler = createRecheckHandler(
  deps,
  { followMs: 20_000, settleAfterMs: config.rolloutTimeoutMs + 90_000 },
  logger,
);
