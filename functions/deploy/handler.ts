import { Logger } from "@aws-lambda-powertools/logger";
import { readDeploySettings, wireDeploy, withLinkedSecrets } from "@slipway/wiring";
import { createDeployHandler } from "./deploy-handler.ts";

const logger = new Logger({ serviceName: "slipway-deploy" });
const settings = readDeploySettings(withLinkedSecrets(process.env));

/**
 * CodeBuild finished → the stage's Deployments roll out by digest, or roll back, and GitHub
 * is told. Invoked asynchronously by the BuildFinished rule; retried twice, then the DLQ.
 */
export const handler = createDeployHandler(wireDeploy(settings, logger), logger);
