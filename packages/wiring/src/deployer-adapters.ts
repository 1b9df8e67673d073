import { Metrics } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { DiagnosticLog, GitHubReporter, Ledger } from "@slipway/core";
import { createGitHubClient, createGitHubReporter } from "@slipway/github";
import { createDynamoLedger } from "@slipway/ledger";
import type { GitHubSettings } from "./github-settings.ts";
import {
  type LifecycleFlush,
  type LifecycleSettings,
  publishingLedger,
} from "./lifecycle-publishing.ts";

export type AdapterLog = DiagnosticLog & {
  error(message: string, ...attributes: Record<string, unknown>[]): void;
};

export type SharedAdapterSettings = {
  awsCallTimeoutMs: number;
  ledgerTable: string;
  lifecycle: LifecycleSettings;
  github: GitHubSettings;
};

/** Bounds every AWS call (the SDK waits forever by default) and retries twice. */
export function awsClientConfig(timeoutMs: number) {
  return {
    maxAttempts: 3,
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
  };
}

/**
 * What every deployer function talks to, built once per container: the DynamoDB ledger (which
 * publishes each state change to the lifecycle bus when one is configured) and the GitHub reporter.
 */
export function createSharedAdapters(
  settings: SharedAdapterSettings,
  log: AdapterLog,
  links: { appUrl?: string } = {},
): { ledger: Ledger; github: GitHubReporter } & LifecycleFlush {
  const clientConfig = awsClientConfig(settings.awsCallTimeoutMs);
  const ledger = createDynamoLedger({
    client: DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig)),
    tableName: settings.ledgerTable,
  });
  const { busName, metric, stage } = settings.lifecycle;
  const published =
    busName === undefined
      ? undefined
      : publishingLedger(ledger, {
          client: new EventBridgeClient(clientConfig),
          busName,
          stage,
          metrics: new Metrics({ namespace: metric.namespace, serviceName: "slipway" }),
          metricName: metric.name,
          logger: log,
          links,
        });
  return {
    ledger: published ?? ledger,
    settled: async () => published?.settled(),
    github: createGitHubReporter({
      octokit: createGitHubClient(settings.github.credentials, {
        ...(settings.github.baseUrl === undefined ? {} : { baseUrl: settings.github.baseUrl }),
        log: {
          debug: () => {},
          info: () => {},
          warn: (message) => log.warn("GitHub client warning", { detail: message }),
          error: (message) => log.warn("GitHub request failed", { detail: message }),
        },
      }),
      timeoutMs: settings.github.timeoutMs,
    }),
  };
}
