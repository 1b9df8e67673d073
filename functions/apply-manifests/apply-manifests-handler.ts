import type { Logger } from "@aws-lambda-powertools/logger";
import type { SecretValues } from "@slipway/aws";
import { describeError } from "@slipway/core";
import type { ApplyReport, ClusterObjects, KubeObject } from "@slipway/kube";
import type { Context } from "aws-lambda";
import { ApplyManifestsEvent, type SecretFromSecretsManager } from "./request.ts";

export type ApplyManifestsDeps = {
  /** Made on first use: reaching EKS is a network call, which cannot run while the module loads. */
  clusterObjects: () => Promise<ClusterObjects>;
  secrets: SecretValues;
  logger: Logger;
};

/** Leaves this much of the function's time to report a removal that is still terminating. */
const removalMarginMs = 15_000;

/**
 * Applies the stage's objects inside its cluster, from inside the VPC, during `sst deploy`
 * (infra invokes it through `aws.lambda.Invocation`), so the API endpoint can stay private
 * and nothing on the operator's machine talks to Kubernetes. On `sst remove` it deletes
 * them and waits for their finalizers, so no load balancer outlives the stage. A failure
 * throws, which fails the deploy with the message.
 */
export function createApplyManifestsHandler(deps: ApplyManifestsDeps) {
  return async (event: unknown, context?: Context): Promise<ApplyReport> => {
    if (context) deps.logger.addContext(context);
    const parsed = ApplyManifestsEvent.safeParse(event);
    if (!parsed.success) {
      throw new Error(
        `not an apply request: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      );
    }
    const request = parsed.data;
    try {
      const cluster = await deps.clusterObjects();
      const report =
        request.tf?.action === "delete"
          ? await cluster.removeAll(
              new Date(
                Date.now() + (context?.getRemainingTimeInMillis() ?? 300_000) - removalMarginMs,
              ),
            )
          : await cluster.apply([
              ...(request.objects as KubeObject[]),
              ...(await secretObjects(deps.secrets, request.secrets)),
            ]);
      deps.logger.info("cluster objects applied", {
        stage: request.stage,
        action: request.tf?.action ?? "apply",
        applied: report.applied.length,
        created: report.created,
        pruned: report.pruned,
      });
      return report;
    } catch (error) {
      deps.logger.error("cluster objects not applied", {
        stage: request.stage,
        error: describeError(error),
      });
      throw error;
    }
  };
}

/** The Kubernetes Secrets, with their values read now from Secrets Manager. */
async function secretObjects(
  values: SecretValues,
  secrets: readonly SecretFromSecretsManager[],
): Promise<KubeObject[]> {
  const objects: KubeObject[] = [];
  for (const secret of secrets) {
    const value = await values.read(secret.secretId);
    const stringData: Record<string, string> = {};
    for (const [key, field] of Object.entries(secret.keys)) {
      const fieldValue = value[field];
      if (fieldValue === undefined)
        throw new Error(`secret ${secret.secretId} has no field "${field}"`);
      stringData[key] = fieldValue;
    }
    objects.push({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: secret.name, namespace: secret.namespace },
      type: "Opaque",
      stringData,
    });
  }
  return objects;
}
