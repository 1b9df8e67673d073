import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { GitHubReporter, Ledger } from "@slipway/core";
import { createGitHubClient, createGitHubReporter } from "@slipway/github";
import { createDynamoLedger } from "@slipway/ledger";
import type { AdapterLog } from "./adapter-log.ts";
import { awsClientConfig } from "./aws-client-config.ts";
import type { GitHubSettings } from "./github-settings.ts";
import {
  type LifecycleFlush,
  type LifecycleSettings,
  lifecycleMetric,
  publishingLedger,
} from "./lifecycle-publishing.ts";

export type DeployerAdapterSettings = {
  /** Per attempt, to connect and to answer; the SDK would otherwise wait forever. */
  awsCallTimeoutMs: number;
  /** Where the ledger is; the SDK's default region otherwise. */
  region?: string;
  ledgerTable: string;
  lifecycle: LifecycleSettings;
  /** The functions always have GitHub credentials; the CLI may run without (reports are then owed). */
  github?: GitHubSettings;
};

/**
 * What every entry point talks to, built once per process: the DynamoDB ledger (which
 * publishes each state change to the lifecycle bus when one is configured) and the GitHub
 * reporter (App or token), every call bounded by a timeout.
 */
export function wireDeployerAdapters(
  settings: DeployerAdapterSettings,
  log: AdapterLog,
  links: { appUrl?: string } = {},
): { ledger: Ledger; github: GitHubReporter } & LifecycleFlush {
  const clientConfig = {
    ...awsClientConfig(settings.awsCallTimeoutMs),
    ...(settings.region === undefined ? {} : { region: settings.region }),
  };
  const ledger = createDynamoLedger({
    client: DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig)),
    tableName: settings.ledgerTable,
  });
  const { busName, stage } = settings.lifecycle;
  const metric = lifecycleMetric(settings.lifecycle);
  const published =
    busName === undefined
      ? undefined
      : publishingLedger(ledger, {
          client: new EventBridgeClient(clientConfig),
          busName,
          stage,
          ...(metric === undefined ? {} : { metric }),
          logger: log,
          links,
        });
  return {
    ledger: published ?? ledger,
    settled: async () => published?.settled(),
    github:
      settings.github === undefined ? unconfiguredGitHub : gitHubReporter(settings.github, log),
  };
}

function gitHubReporter(settings: GitHubSettings, log: AdapterLog): GitHubReporter {
  return createGitHubReporter({
    octokit: createGitHubClient(settings.credentials, {
      ...(settings.baseUrl === undefined ? {} : { baseUrl: settings.baseUrl }),
      log: {
        debug: () => {},
        info: () => {},
        warn: (message) => log.warn("GitHub client warning", { detail: message }),
        error: (message) => log.warn("GitHub request failed", { detail: message }),
      },
    }),
    timeoutMs: settings.timeoutMs,
  });
}

const unconfigured = () =>
  Promise.reject(
    new Error("no GitHub credentials (set GITHUB_TOKEN, or the GITHUB_APP_* variables)"),
  );

/** Without GitHub credentials an operator can still deploy; the ledger marks each report owed. */
export const unconfiguredGitHub: GitHubReporter = {
  createDeployment: unconfigured,
  setDeploymentStatus: unconfigured,
  setCommitStatus: unconfigured,
};
