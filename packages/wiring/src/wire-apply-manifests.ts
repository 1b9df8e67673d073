import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { createSecretValues, type SecretValues } from "@slipway/aws";
import {
  type ClusterAccess,
  type ClusterObjects,
  connectCluster,
  createClusterObjects,
  onFirstUse,
} from "@slipway/kube";
import { awsClientConfig } from "./aws-client-config.ts";

/** What the apply function runs on: it reads these from its environment. */
export type ApplyManifestsSettings = {
  cluster: ClusterAccess;
  /** Name of the stage's ApplySet parent ConfigMap in kube-system. */
  applySetName: string;
  /** What a Deployment runs until the deployer's first rollout. */
  bootstrapImage: string;
  awsCallTimeoutMs: number;
};

/**
 * The apply function's adapters: the stage's cluster objects (an ApplySet applied with
 * server-side apply), on the same cluster access as every other entry point, made on first
 * use; and Secrets Manager, for the Secrets' values.
 */
export function wireApplyManifests(settings: ApplyManifestsSettings): {
  clusterObjects: () => Promise<ClusterObjects>;
  secrets: SecretValues;
} {
  const aws = awsClientConfig(settings.awsCallTimeoutMs);
  const connect = connectCluster(settings.cluster, { eksClientConfig: aws });
  return {
    clusterObjects: onFirstUse(async () =>
      createClusterObjects({
        parent: { name: settings.applySetName, namespace: "kube-system" },
        bootstrapImage: settings.bootstrapImage,
        config: await connect(),
      }),
    ),
    secrets: createSecretValues(new SecretsManagerClient(aws)),
  };
}
