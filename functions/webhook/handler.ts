import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { LambdaFunctionUrlSchema } from "@aws-lambda-powertools/parser/schemas/lambda";
import { type DeliveryOutcome, receiveDelivery } from "@slipway/core";
import { readWebhookDelivery } from "@slipway/github";
import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from "aws-lambda";
import { withLinkedSecrets } from "./shared/linked-secrets.ts";
import { readWebhookConfig } from "./shared/webhook-config.ts";
import { createWebhookDeps } from "./shared/webhook-deps.ts";
import { webhookAnswer } from "./shared/webhook-response.ts";
import { recordAnswer } from "./shared/webhook-telemetry.ts";

const logger = new Logger({ serviceName: "slipway-webhook" });
const metrics = new Metrics({ namespace: "Slipway", serviceName: "webhook" });
const config = readWebhookConfig(withLinkedSecrets(process.env));
const deps = createWebhookDeps(config, logger);
const FunctionUrlRequest = LambdaFunctionUrlSchema.pick({
  headers: true,
  body: true,
  isBase64Encoded: true,
});

/** GitHub push webhook → at most one CodeBuild build per delivery (Function URL, auth NONE). */
export async function handler(
  event: LambdaFunctionURLEvent,
  context?: Context,
): Promise<LambdaFunctionURLResult> {
  if (context) logger.addContext(context);
  const result = await deliver(event).catch((error: unknown) =>
    error instanceof Error ? error : new Error(String(error)),
  );
  const answer = webhookAnswer(result);
  recordAnswer({ logger, metrics }, answer, result);
  return answer.response;
}

async function deliver(event: LambdaFunctionURLEvent): Promise<DeliveryOutcome> {
  const delivery = await readWebhookDelivery(FunctionUrlRequest.parse(event), config);
  // The delivery id is the correlation id: the build and the deploy function carry it on.
  logger.appendKeys({ deliveryId: delivery.id, githubEvent: delivery.event });
  try {
    return await receiveDelivery(deps, delivery);
  } finally {
    await deps.settled();
  }
}
