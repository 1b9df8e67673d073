import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { type DeliveryOutcome, receiveDelivery } from "@slipway/core";
import type { PushWiring } from "@slipway/wiring/push";
import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from "aws-lambda";
import { type WebhookResult, webhookAnswer } from "./webhook-answer.ts";
import { recordAnswer } from "./webhook-telemetry.ts";

/**
 * GitHub push webhook → at most one CodeBuild build per delivery: read the request once at
 * the edge (a refusal is an outcome), hand a delivery to core, map how it ended to one answer.
 */
export function createWebhookHandler(
  wired: PushWiring,
  telemetry: { logger: Logger; metrics: Metrics },
) {
  const { logger } = telemetry;
  const deliver = async (event: LambdaFunctionURLEvent): Promise<DeliveryOutcome> => {
    const read = await wired.read(event);
    if (read.kind === "refused") return read;
    // The delivery id is the correlation id: the build and the deploy function carry it on.
    logger.appendKeys({
      deliveryId: read.id,
      githubEvent: read.kind === "other" ? read.event : read.kind,
    });
    try {
      return await receiveDelivery(wired.deps, read);
    } finally {
      await wired.settled();
    }
  };
  return async (
    event: LambdaFunctionURLEvent,
    context?: Context,
  ): Promise<LambdaFunctionURLResult> => {
    if (context) logger.addContext(context);
    const result: WebhookResult = await deliver(event).catch((error: unknown) => ({
      kind: "failed" as const,
      error,
    }));
    const answer = webhookAnswer(result);
    recordAnswer(telemetry, answer, result);
    return answer.response;
  };
}
