import { ECRClient } from "@aws-sdk/client-ecr";
import { createEcrImageRegistry } from "@slipway/aws";
import type { GitHubReporter, ImageRegistry, Ledger, Workloads } from "@slipway/core";
import { type ClusterAccess, clusterWorkloads, connectApiServer } from "@slipway/kube";
import type { AdapterLog } from "./adapter-log.ts";
import { awsClientConfig } from "./aws-client-config.ts";
import { type DeployerAdapterSettings, wireDeployerAdapters } from "./deployer-adapters.ts";
import type { LifecycleFlush } from "./lifecycle-publishing.ts";

/** What the operator CLI runs on, found from the stage itself (or given as flags). */
export type OperatorSettings = DeployerAdapterSettings & {
  /** Undefined when nothing names the cluster; history and trace need none. */
  cluster?: ClusterAccess;
};

/**
 * The operator CLI's adapters, from the same wiring as the functions: the ledger (publishing
 * the CLI's own state changes when the stage has a lifecycle bus), GitHub (App or token, or
 * none), the stage's image registry (an unpin that deploys checks the digest, as the deploy
 * function does), and the cluster, with the same AWS call timeouts.
 */
export function wireOperator(
  settings: OperatorSettings,
  log: AdapterLog,
): {
  ledger: Ledger;
  github: GitHubReporter;
  registry: ImageRegistry;
  workloads?: Workloads;
} & LifecycleFlush {
  const adapters = {
    ...wireDeployerAdapters(settings, log),
    registry: createEcrImageRegistry({
      client: new ECRClient(awsClientConfig(settings.awsCallTimeoutMs)),
    }),
  };
  if (settings.cluster === undefined) return adapters;
  return {
    ...adapters,
    workloads: clusterWorkloads(
      connectApiServer(settings.cluster, {
        eksClientConfig: awsClientConfig(settings.awsCallTimeoutMs),
      }),
    ),
  };
}
