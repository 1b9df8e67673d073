import { alerts } from "./alerts";
import { lifecycleAlertPattern } from "./patterns";

/**
 * Slipway's lifecycle events: every ledger state change is published to this bus (source
 * `slipway`), archived for replay, and the ones that need a person go to the alerts topic.
 */
export const bus = new sst.aws.Bus("Lifecycle");

/** Replays after an outage or a new subscriber's backfill: `aws events start-replay`. */
export const archive = new aws.cloudwatch.EventArchive("LifecycleArchive", {
  eventSourceArn: bus.arn,
  retentionDays: 90,
  description: "Every Slipway lifecycle event, for replay",
});

const alertRule = new aws.cloudwatch.EventRule("LifecycleAlerts", {
  eventBusName: bus.name,
  description: "Failed builds, failed deploys and rollbacks",
  eventPattern: JSON.stringify(lifecycleAlertPattern()),
});

new aws.sns.TopicPolicy("AlertsFromEvents", {
  arn: alerts.arn,
  policy: $jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: ["events.amazonaws.com", "cloudwatch.amazonaws.com"] },
        Action: "sns:Publish",
        Resource: alerts.arn,
      },
    ],
  }),
});

new aws.cloudwatch.EventTarget("LifecycleAlertsTarget", {
  rule: alertRule.name,
  eventBusName: bus.name,
  arn: alerts.arn,
});

/** Metric the deployer emits when a lifecycle event could not be published after retries. */
export const publishFailureMetric = {
  namespace: "Slipway",
  name: "LifecyclePublishFailures",
} as const;

new aws.cloudwatch.MetricAlarm("LifecyclePublishFailuresAlarm", {
  alarmDescription:
    "Slipway could not publish lifecycle events: subscribers are missing state changes.",
  namespace: publishFailureMetric.namespace,
  metricName: publishFailureMetric.name,
  dimensions: { service: "slipway", stage: $app.stage },
  statistic: "Sum",
  period: 300,
  evaluationPeriods: 1,
  threshold: 0,
  comparisonOperator: "GreaterThanThreshold",
  treatMissingData: "notBreaching",
  alarmActions: [alerts.arn],
});
