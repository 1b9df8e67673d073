import { CodeBuildClient } from "@aws-sdk/client-codebuild";
import { createCodeBuildBuilds } from "@slipway/aws";
import type { AcceptPushDeps } from "@slipway/core";
import type { LifecycleFlush } from "./lifecycle-publishing.ts";
import { type AdapterLog, awsClientConfig, createSharedAdapters } from "./shared-adapters.ts";
import type { WebhookConfig } from "./webhook-config.ts";

/**
 * The production adapters behind acceptPush, built once per container; the ledger publishes
 * `queued` and `superseded` to the lifecycle bus when one is configured.
 */
export function createWebhookDeps(
  config: WebhookConfig,
  log: AdapterLog,
): AcceptPushDeps & LifecycleFlush {
  const shared = createSharedAdapters(config, log);
  return {
    ...shared,
    builds: createCodeBuildBuilds({
      client: new CodeBuildClient(awsClientConfig(config.awsCallTimeoutMs)),
    }),
    config: config.stages,
    now: () => new Date(),
    log,
  };
}
