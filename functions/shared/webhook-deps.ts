import { CodeBuildClient } from "@aws-sdk/client-codebuild";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createCodeBuildBuilds } from "@slipway/aws";
import type { AcceptPushDeps, DiagnosticLog } from "@slipway/core";
import { createGitHubClient, createGitHubReporter } from "@slipway/github";
import { createDynamoLedger } from "@slipway/ledger";
import type { WebhookConfig } from "./webhook-config.ts";

/** The production adapters behind acceptPush, built once per container. */
export function createWebhookDeps(config: WebhookConfig, log: DiagnosticLog): AcceptPushDeps {
  // Bounds every AWS call (the SDK waits forever by default): GitHub gives up after 10 s.
  const timeout = config.awsCallTimeoutMs;
  const awsClientConfig = {
    maxAttempts: 3,
    requestHandler: { connectionTimeout: timeout, requestTimeout: timeout },
  };
  return {
    ledger: createDynamoLedger({
      client: DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig)),
      tableName: config.ledgerTable,
    }),
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
