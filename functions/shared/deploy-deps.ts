import { Metrics } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EKSClient } from "@aws-sdk/client-eks";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { KubeConfig } from "@kubernetes/client-node";
import { createEksCluster } from "@slipway/aws";
import type { DeployDeps, DiagnosticLog, Workloads } from "@slipway/core";
import { createGitHubClient, createGitHubReporter } from "@slipway/github";
import { bearerKubeConfig, createKubeWorkloads } from "@slipway/kube";
import { createDynamoLedger } from "@slipway/ledger";
import { deferredWorkloads } from "./deferred-workloads.ts";
import type { DeployConfig } from "./deploy-config.ts";
import { type LifecycleFlush, publishingLedger } from "./lifecycle-publishing.ts";

type Log = DiagnosticLog & {
  error(message: string, ...attributes: Record<string, unknown>[]): void;
};

/**
 * The production adapters behind deployBuild, built once per container; the ledger publishes
 * each state change to the lifecycle bus when one is configured.
 */
export function createDeployDeps(config: DeployConfig, log: Log): DeployDeps & LifecycleFlush {
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
          links: config.target.environmentUrl ? { appUrl: config.target.environmentUrl } : {},
        });
  return {
    ledger: published ?? ledger,
    settled: async () => published?.settled(),
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
    workloads: workloadsFor(config, awsClientConfig),
    target: config.target,
    log,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
    rolloutTimeoutMs: config.rolloutTimeoutMs,
  };
}

function workloadsFor(config: DeployConfig, awsClientConfig: object): Workloads {
  const { cluster } = config;
  if (cluster.kind === "kubeconfig") {
    const kubeconfig = new KubeConfig();
    kubeconfig.loadFromFile(cluster.path);
    return createKubeWorkloads({ config: kubeconfig });
  }
  const eks = createEksCluster({
    client: new EKSClient({ ...awsClientConfig, region: cluster.region }),
    clusterName: cluster.name,
    region: cluster.region,
  });
  return deferredWorkloads(async () => {
    const connection = await eks.connect();
    return createKubeWorkloads({
      config: bearerKubeConfig({
        server: connection.server,
        certificateAuthorityData: connection.certificateAuthorityData,
        token: connection.token,
      }),
    });
  });
}
