import { EKSClient } from "@aws-sdk/client-eks";
import { KubeConfig } from "@kubernetes/client-node";
import { createEksCluster } from "@slipway/aws";
import type { DeployDeps, Workloads } from "@slipway/core";
import { bearerKubeConfig, createKubeWorkloads } from "@slipway/kube";
import { deferredWorkloads } from "./deferred-workloads.ts";
import type { DeployConfig } from "./deploy-config.ts";
import type { LifecycleFlush } from "./lifecycle-publishing.ts";
import { type AdapterLog, awsClientConfig, createSharedAdapters } from "./shared-adapters.ts";

/**
 * The production adapters behind deployBuild, built once per container; the ledger publishes
 * each state change to the lifecycle bus when one is configured.
 */
export function createDeployDeps(
  config: DeployConfig,
  log: AdapterLog,
): DeployDeps & LifecycleFlush {
  const shared = createSharedAdapters(
    config,
    log,
    config.target.environmentUrl ? { appUrl: config.target.environmentUrl } : {},
  );
  return {
    ...shared,
    workloads: workloadsFor(config, awsClientConfig(config.awsCallTimeoutMs)),
    target: config.target,
    log,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
    rolloutTimeoutMs: config.rolloutTimeoutMs,
  };
}

function workloadsFor(config: DeployConfig, clientConfig: object): Workloads {
  const { cluster } = config;
  if (cluster.kind === "kubeconfig") {
    const kubeconfig = new KubeConfig();
    kubeconfig.loadFromFile(cluster.path);
    return createKubeWorkloads({ config: kubeconfig });
  }
  const eks = createEksCluster({
    client: new EKSClient({ ...clientConfig, region: cluster.region }),
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
