import type { Logger } from "@aws-lambda-powertools/logger";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { describeError } from "@slipway/core";
import type { WebhookAnswer, WebhookResult } from "./webhook-answer.ts";

/**
 * One log line and one `Deliveries` metric (dimension `Outcome`) per delivery, then clears
 * the per-delivery log keys so the next invocation in this container starts clean.
 */
export function recordAnswer(
  telemetry: { logger: Logger; metrics: Metrics },
  answer: WebhookAnswer,
  result: WebhookResult,
): void {
  const { logger, metrics } = telemetry;
  const { statusCode, outcome } = answer;
  if (result.kind === "failed") {
    logger.error("delivery failed", { statusCode, outcome, error: errorChain(result.error) });
  } else if (result.kind === "refused") {
    logger.warn("delivery refused", {
      statusCode,
      outcome,
      reason: result.reason,
      detail: result.detail,
    });
  } else {
    logger.info("delivery answered", { statusCode, outcome: result });
  }
  metrics.addDimension("Outcome", outcome);
  metrics.addMetric("Deliveries", MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
  logger.resetKeys();
}

// Names and messages down the cause chain; never headers or bodies, which may hold secrets.
function errorChain(error: unknown): string[] {
  const chain: string[] = [];
  for (
    let e = error;
    e !== undefined && chain.length < 5;
    e = e instanceof Error ? e.cause : undefined
  ) {
    chain.push(describeError(e));
  }
  return chain;
}
