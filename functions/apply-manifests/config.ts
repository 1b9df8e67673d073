import * as z from "@slipway/core/zod";
import { type ApplyManifestsSettings, settingsIssues } from "@slipway/wiring";

/** The function's settings, read once per container. */
export const ApplyManifestsEnv = z
  .object({
    /** The EKS cluster; or KUBECONFIG (a file) to target any other cluster, as the tests do. */
    EKS_CLUSTER_NAME: z.optional(z.string().check(z.minLength(1))),
    KUBECONFIG: z.optional(z.string().check(z.minLength(1))),
    AWS_REGION: z._default(z.string().check(z.minLength(1)), "us-east-1"),
    /** Name of the stage's ApplySet parent ConfigMap in kube-system. */
    APPLYSET_NAME: z.string().check(z.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)),
    /** What a Deployment runs until the deployer's first rollout. */
    BOOTSTRAP_IMAGE: z.string().check(z.minLength(1)),
    AWS_CALL_TIMEOUT_MS: z._default(z.pipe(z.coerce.number(), z.int().check(z.positive())), 5000),
  })
  .check(
    z.refine((env) => env.EKS_CLUSTER_NAME !== undefined || env.KUBECONFIG !== undefined, {
      message: "set EKS_CLUSTER_NAME (or KUBECONFIG outside AWS)",
    }),
  );

/** Parses the environment; the message names variables, never their values. */
export function readApplyManifestsConfig(env: NodeJS.ProcessEnv): ApplyManifestsSettings {
  const parsed = ApplyManifestsEnv.safeParse(env);
  if (!parsed.success) {
    throw new Error(`invalid settings: ${settingsIssues(parsed.error)}`);
  }
  const e = parsed.data;
  return {
    cluster: e.EKS_CLUSTER_NAME
      ? { kind: "eks", name: e.EKS_CLUSTER_NAME, region: e.AWS_REGION }
      : { kind: "kubeconfig", path: e.KUBECONFIG ?? "" },
    applySetName: e.APPLYSET_NAME,
    bootstrapImage: e.BOOTSTRAP_IMAGE,
    awsCallTimeoutMs: e.AWS_CALL_TIMEOUT_MS,
  };
}
