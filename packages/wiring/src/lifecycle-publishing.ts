import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { createEventBridgePublisher } from "@slipway/aws";
import {
  type Ledger,
  type LifecycleLinks,
  type PublishingLedger,
  withLifecycleEvents,
} from "@slipway/core";
import * as z from "@slipway/core/zod";
import type { AdapterLog } from "./adapter-log.ts";

/**
 * Where lifecycle events go: LIFECYCLE_BUS_NAME (infra sets it; unset only in local runs that
 * publish nothing), and the metric a dropped event counts in, `<namespace>/<name>`, which the
 * publish-failure alarm watches.
 */
export const LifecycleEnv = z.object({
  LIFECYCLE_BUS_NAME: z.optional(z.string().check(z.minLength(1))),
  PUBLISH_FAILURE_METRIC: z._default(
    z.string().check(z.regex(/^[^/]+\/[^/]+$/, "expected <namespace>/<name>")),
    "Slipway/LifecyclePublishFailures",
  ),
  /** The app stage, the metric's `stage` dimension (the alarm's); the webhook may lack it. */
  SLIPWAY_STAGE: z._default(z.string().check(z.minLength(1)), "default"),
});

export type LifecycleSettings = {
  busName?: string;
  /** Where a dropped event is counted (the functions); without it, it is only logged (the CLI). */
  metric?: { namespace: string; name: string };
  stage: string;
};

/** What an entry point awaits before returning, so no started publish is lost to a frozen container. */
export type LifecycleFlush = { settled(): Promise<void> };

/** Reads the lifecycle settings; the message names variables, never values. */
export function readLifecycleSettings(env: NodeJS.ProcessEnv): LifecycleSettings {
  const e = LifecycleEnv.parse(env);
  const [namespace = "Slipway", name = "LifecyclePublishFailures"] =
    e.PUBLISH_FAILURE_METRIC.split("/");
  return {
    ...(e.LIFECYCLE_BUS_NAME ? { busName: e.LIFECYCLE_BUS_NAME } : {}),
    metric: { namespace, name },
    stage: e.SLIPWAY_STAGE,
  };
}

/**
 * Wraps the ledger so each state change is published to the bus. A dropped event is logged and
 * counted in the metric (dimensions service=slipway and stage, as the alarm expects), flushed
 * at once so it is never lost with a frozen container: never silent, never failing a deploy.
 */
export function publishingLedger(
  ledger: Ledger,
  options: {
    client: EventBridgeClient;
    busName: string;
    stage: string;
    /** Where a dropped event is counted; the CLI passes none and only logs it. */
    metric?: { metrics: Metrics; name: string };
    logger: AdapterLog;
    links: LifecycleLinks;
  },
): PublishingLedger {
  const publisher = createEventBridgePublisher({
    client: options.client,
    busName: options.busName,
    onDropped(detail, reason) {
      options.logger.error("lifecycle event dropped", {
        status: detail.status,
        stage: detail.stage,
        sequence: detail.sequence,
        deliveryId: detail.deliveryId,
        reason,
      });
      if (options.metric === undefined) return;
      const metric = options.metric.metrics.singleMetric();
      metric.addDimension("stage", options.stage);
      metric.addMetric(options.metric.name, MetricUnit.Count, 1);
    },
  });
  return withLifecycleEvents(ledger, { publisher, log: options.logger, links: options.links });
}

/** The metrics a function's dropped lifecycle events count in (service `slipway`). */
export function lifecycleMetric(settings: LifecycleSettings) {
  return settings.metric === undefined
    ? undefined
    : {
        metrics: new Metrics({ namespace: settings.metric.namespace, serviceName: "slipway" }),
        name: settings.metric.name,
      };
}
