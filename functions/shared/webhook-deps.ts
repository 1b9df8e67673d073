import { Metrics } from "@aws-lambda-powertools/metrics";
import { CodeBuildClient } from "@aws-sdk/client-codebuild";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createCodeBuildBuilds } from "@slipway/aws";
import type { AcceptPushDeps, DiagnosticLog } from "@slipway/core";
import { createGitHubClient, createGitHubReporter } from "@slipway/github";
import { createDynamoLedger } from "@slipway/ledger";
import { type LifecycleFlush, publishingLedger } from "./lifecycle-publishing.ts";
import type { WebhookConfig } from "./webhook-config.ts";

/**
 * The production adapters behind acceptPush, built once per container; the ledger publishes
 * `queued` and `superseded` to the lifecycle bus when one is configured.
 */
export function createWebhookDeps(
  config: WebhookConfig,
  log: DiagnosticLog & { error(message: string, ...attributes: Record<string, unknown>[]): void },
): AcceptPushDeps & LifecycleFlush {
  // Bounds every AWS call (the SDK waits forever by default): GitHub gives up after 10 s.
  const timeout = config.awsCallTimeoutMs;
  const awsClientConfig = {
    maxAttempts: 3,
    requestHandler: { connectionTimeout: timeout, requestTimeout: timeout },
  };
  const ledger = createDynamoLedger({
    client: DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig)),
    tableName: config.ledgerTable,
  });
  const { busName, metric, stage } = config.lifecycle;
  const published =
    busName === undefined
      ? undefined
      : publishingLedger(ledger, {
          client: new EventBridgeClient(awsClientConfig),
          busName,
          stage,
          metrics: new Metrics({ namespace: metric.namespace, serviceName: "slipway" }),
          metricName: metric.name,
          logger: log,
          links: {},
        });
  return {
    ledger: published ?? ledger,
    settled: async () => published?.settled(),
    builds: createCodeBuildBuilds({ client: new CodeBuildClient(awsClientConfig) }),
    github: createGitHubReporter({
      octokit: createGitHubClient(config.github.credentials, {
        ...(config.github.baseUrl === undefined ? {} : { baseUrl: config.github.baseUrl }),
        log: {
          debug: () => {},
          info: () => {},
          warn: (message) => log.warn("GitHub client warning", { detail: message }),
          error: (message) => log.warn("GitHub request failed", { detail: message }),
        },
      }),
      timeoutMs: config.github.timeoutMs,
    }),
    config: config.stages,
    now: () => new Date(),
    log,
  };
}
