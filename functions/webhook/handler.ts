import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { wirePush, withLinkedSecrets } from "@slipway/wiring/push";
import { readWebhookConfig } from "./webhook-config.ts";
import { createWebhookHandler } from "./webhook-handler.ts";

const logger = new Logger({ serviceName: "slipway-webhook" });
const metrics = new Metrics({ namespace: "Slipway", serviceName: "webhook" });
const config = readWebhookConfig(withLinkedSecrets(process.env));

/** GitHub push webhook → at most one CodeBuild build per delivery (Function URL, auth NONE). */
export const handler = createWebhookHandler(wirePush(config, logger), { logger, metrics });
