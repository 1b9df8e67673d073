import { CodeBuildClient } from "@aws-sdk/client-codebuild";
import { createCodeBuildBuilds } from "@slipway/aws";
import type { AcceptPushDeps, DeliveryRefusal, StageConfig, VerifiedDelivery } from "@slipway/core";
import { readWebhookDelivery } from "@slipway/github";
import type { AdapterLog } from "./adapter-log.ts";
import { awsClientConfig } from "./aws-client-config.ts";
import { type DeployerAdapterSettings, wireDeployerAdapters } from "./deployer-adapters.ts";
import type { LifecycleFlush } from "./lifecycle-publishing.ts";

/** What the push side runs on: the webhook function reads it from its environment. */
export type PushSettings = DeployerAdapterSettings & {
  /** The webhook's shared secret. */
  secret: string;
  /** Secrets of their own, by repository id (see readWebhookDelivery). */
  repositorySecrets?: ReadonlyMap<number, string>;
  /** Bodies above this size are refused before any work is done on them. */
  maxBodyBytes: number;
  /** Every lane (stage × service) the webhook builds; each names its repository. */
  stages: StageConfig;
};

/**
 * The production adapters behind the push side, built once per container: `read` verifies
 * and reads a request at the edge (GitHub's webhook rules), `deps` serve acceptPush, and the
 * ledger publishes `queued` and `superseded` to the lifecycle bus when one is configured.
 */
export type PushWiring = {
  read: (request: unknown) => Promise<VerifiedDelivery | DeliveryRefusal>;
  deps: AcceptPushDeps;
} & LifecycleFlush;

export function wirePush(settings: PushSettings, log: AdapterLog): PushWiring {
  const { settled, ...adapters } = wireDeployerAdapters(settings, log);
  const limits = {
    secret: settings.secret,
    maxBodyBytes: settings.maxBodyBytes,
    ...(settings.repositorySecrets ? { repositorySecrets: settings.repositorySecrets } : {}),
  };
  return {
    read: (request) => readWebhookDelivery(request, limits),
    deps: {
      ...adapters,
      builds: createCodeBuildBuilds({
        client: new CodeBuildClient(awsClientConfig(settings.awsCallTimeoutMs)),
      }),
      config: settings.stages,
      now: () => new Date(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      random: Math.random,
      log,
    },
    settled,
  };
}
