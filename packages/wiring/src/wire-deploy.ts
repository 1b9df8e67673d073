import { CodeBuildClient } from "@aws-sdk/client-codebuild";
import { ECRClient } from "@aws-sdk/client-ecr";
import { createCodeBuildBuilds, createEcrImageRegistry } from "@slipway/aws";
import type { StageDeploys } from "@slipway/core";
import { clusterWorkloads, connectApiServer } from "@slipway/kube";
import type { AdapterLog } from "./adapter-log.ts";
import { awsClientConfig } from "./aws-client-config.ts";
import type { DeploySettings } from "./deploy-settings.ts";
import { wireDeployerAdapters } from "./deployer-adapters.ts";
import type { LifecycleFlush } from "./lifecycle-publishing.ts";

/**
 * The production adapters behind the deploy side (deployBuild, the re-check, and the
 * operator's rollback, pin and status), built once per process; the ledger publishes each
 * state change to the lifecycle bus when one is configured.
 */
export function wireDeploy(
  settings: DeploySettings,
  log: AdapterLog,
): StageDeploys & LifecycleFlush {
  const appUrl = settings.targets.find((t) => t.environmentUrl)?.environmentUrl;
  const adapters = wireDeployerAdapters(settings, log, appUrl ? { appUrl } : {});
  return {
    ...adapters,
    // A successful build whose event lacks IMAGE_URI is read back from CodeBuild.
    builds: createCodeBuildBuilds({
      client: new CodeBuildClient(awsClientConfig(settings.awsCallTimeoutMs)),
    }),
    // Only a digest the stage's repository holds rolls out (checked before any patch).
    registry: createEcrImageRegistry({
      client: new ECRClient(awsClientConfig(settings.awsCallTimeoutMs)),
    }),
    workloads: clusterWorkloads(
      connectApiServer(settings.cluster, {
        eksClientConfig: awsClientConfig(settings.awsCallTimeoutMs),
      }),
    ),
    targets: settings.targets,
    log,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
    rolloutTimeoutMs: settings.rolloutTimeoutMs,
  };
}
