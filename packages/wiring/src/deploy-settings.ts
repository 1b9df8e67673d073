import { DeployTarget, parseWorkloadList, StageConfig } from "@slipway/core";
import { z } from "zod";
import {
  GitHubEnv,
  type GitHubSettings,
  hasGitHubCredentials,
  readGitHubSettings,
} from "./github-settings.ts";
import { type LifecycleSettings, readLifecycleSettings } from "./lifecycle-publishing.ts";

/**
 * The deploy function's settings (and the re-check's), read once per container. The stage's
 * Deployments come from STAGE_CONFIG, the webhook's own stage list, or else from
 * WORKLOAD_NAMESPACE and WORKLOAD_DEPLOYMENTS (`chat-server:server,chat-web:web`).
 */
export const DeployEnv = z
  .object({
    SLIPWAY_STAGE: z.string().min(1),
    STAGE_CONFIG: z.string().min(2).optional(),
    WORKLOAD_NAMESPACE: z.string().min(1).default("chat"),
    WORKLOAD_DEPLOYMENTS: z.string().min(1).optional(),
    ENVIRONMENT_URL: z.url().optional(),
    LEDGER_TABLE: z.string().min(3),
    /** The EKS cluster; or KUBECONFIG (a file) to target any other cluster, as the demo does. */
    EKS_CLUSTER_NAME: z.string().min(1).optional(),
    KUBECONFIG: z.string().min(1).optional(),
    AWS_REGION: z.string().min(1).default("us-east-1"),
    /** Kept below the function's timeout, which infra sets to this plus 60 s for the rollback. */
    ROLLOUT_TIMEOUT_SECONDS: z.coerce.number().int().positive().default(300),
    ...GitHubEnv,
    AWS_CALL_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  })
  .refine((env) => env.EKS_CLUSTER_NAME !== undefined || env.KUBECONFIG !== undefined, {
    message: "set EKS_CLUSTER_NAME (or KUBECONFIG outside AWS)",
  })
  .refine((env) => env.STAGE_CONFIG !== undefined || env.WORKLOAD_DEPLOYMENTS !== undefined, {
    message: "set STAGE_CONFIG or WORKLOAD_DEPLOYMENTS",
  })
  .refine(...hasGitHubCredentials);

export type DeployConfig = {
  target: DeployTarget;
  ledgerTable: string;
  cluster: { kind: "eks"; name: string; region: string } | { kind: "kubeconfig"; path: string };
  rolloutTimeoutMs: number;
  awsCallTimeoutMs: number;
  github: GitHubSettings;
  lifecycle: LifecycleSettings;
};

/** The settings are missing or invalid; the message names variables, never their values. */
export class DeployConfigError extends Error {
  override readonly name = "DeployConfigError";
}

/** Parses the environment into the deploy function's settings, or throws DeployConfigError. */
export function readDeployConfig(env: NodeJS.ProcessEnv): DeployConfig {
  const parsed = DeployEnv.safeParse(env);
  if (!parsed.success) throw new DeployConfigError(`invalid settings: ${issuesOf(parsed.error)}`);
  const e = parsed.data;
  return {
    target: readTarget(e),
    ledgerTable: e.LEDGER_TABLE,
    cluster: e.EKS_CLUSTER_NAME
      ? { kind: "eks", name: e.EKS_CLUSTER_NAME, region: e.AWS_REGION }
      : { kind: "kubeconfig", path: e.KUBECONFIG ?? "" },
    rolloutTimeoutMs: e.ROLLOUT_TIMEOUT_SECONDS * 1000,
    awsCallTimeoutMs: e.AWS_CALL_TIMEOUT_MS,
    github: readGitHubSettings(e),
    lifecycle: readLifecycleSettings(env),
  };
}

function readTarget(e: z.infer<typeof DeployEnv>): DeployTarget {
  try {
    if (e.STAGE_CONFIG !== undefined) {
      const stage = StageConfig.parse(JSON.parse(e.STAGE_CONFIG)).stages.find(
        (s) => s.name === e.SLIPWAY_STAGE,
      );
      if (stage === undefined) {
        throw new DeployConfigError(`STAGE_CONFIG has no stage named SLIPWAY_STAGE`);
      }
      return DeployTarget.parse({
        stage: stage.name,
        deployments: stage.deployments,
        environmentUrl: stage.environmentUrl,
        production: stage.production,
      });
    }
    return DeployTarget.parse({
      stage: e.SLIPWAY_STAGE,
      deployments: parseWorkloadList(e.WORKLOAD_DEPLOYMENTS ?? "", e.WORKLOAD_NAMESPACE),
      environmentUrl: e.ENVIRONMENT_URL,
    });
  } catch (error) {
    if (error instanceof DeployConfigError) throw error;
    const detail =
      error instanceof z.ZodError
        ? issuesOf(error)
        : error instanceof RangeError
          ? error.message
          : "STAGE_CONFIG is not JSON";
    throw new DeployConfigError(`the stage's Deployments are invalid: ${detail}`);
  }
}

// Paths and messages only: zod's messages here never echo the values.
function issuesOf(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(settings)"}: ${i.message}`).join("; ");
}
