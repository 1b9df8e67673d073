import { Logger } from "@aws-lambda-powertools/logger";
import { readDeployConfig } from "./shared/deploy-config.ts";
import { createDeployDeps } from "./shared/deploy-deps.ts";
import { createDeployHandler } from "./shared/deploy-handler.ts";
import { withLinkedSecrets } from "./shared/linked-secrets.ts";

const logger = new Logger({ serviceName: "slipway-deploy" });
const deps = createDeployDeps(readDeployConfig(withLinkedSecrets(process.env)), logger);

/**
 * CodeBuild finished → the stage's Deployments roll out by digest, or roll back, and GitHub
 * is told. Invoked asynchronously by the BuildFinished rule; retried twice, then the DLQ.
 */
export const handler = createDeployHandler(deps, logger);
