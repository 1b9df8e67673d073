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

const account = aws.getCallerIdentityOutput().accountId;
const region = aws.getRegionOutput().region;
const partition = aws.getPartitionOutput().partition;

/**
 * Who may publish to the alerts topic: this stage's alert rule, and CloudWatch alarms of
 * this account and region, each by `aws:SourceArn` (and `aws:SourceAccount` for the
 * alarms), so no other account's rule or alarm can use the topic through the service
 * principals (the confused-deputy case).
 * @see https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html
 */
new aws.sns.TopicPolicy("AlertsFromEvents", {
  arn: alerts.arn,
  policy: $jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "LifecycleAlertRule",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sns:Publish",
        Resource: alerts.arn,
        Condition: { ArnEquals: { "aws:SourceArn": alertRule.arn } },
      },
      {
        Sid: "ThisAccountsAlarms",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: alerts.arn,
        Condition: {
          StringEquals: { "aws:SourceAccount": account },
          ArnLike: {
            "aws:SourceArn": $interpolate`arn:${partition}:cloudwatch:${region}:${account}:alarm:*`,
          },
        },
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
