import type { Logger } from "@aws-lambda-powertools/logger";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { type DeliveryOutcome, describeError } from "@slipway/core";
import type { WebhookAnswer } from "./webhook-response.ts";

/**
 * One log line and one `Deliveries` metric (dimension `Outcome`) per delivery, then clears
 * the per-delivery log keys so the next invocation in this container starts clean.
 */
export function recordAnswer(
  telemetry: { logger: Logger; metrics: Metrics },
  answer: WebhookAnswer,
  result: DeliveryOutcome | Error,
): void {
  const { logger, metrics } = telemetry;
  const statusCode = answer.statusCode;
  if (result instanceof Error) {
    const log = answer.failed ? logger.error.bind(logger) : logger.warn.bind(logger);
    log("delivery refused", { statusCode, outcome: answer.outcome, error: errorChain(result) });
  } else {
    logger.info("delivery answered", { statusCode, outcome: result });
  }
  metrics.addDimension("Outcome", answer.outcome);
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
