import { DeployTarget, StageConfig } from "@slipway/core";
import * as z from "@slipway/core/zod";
import type { ClusterAccess } from "@slipway/kube";
import type { DeployerAdapterSettings } from "./deployer-adapters.ts";
import { GitHubEnv, hasGitHubCredentials, readGitHubSettings } from "./github-settings.ts";
import { readLifecycleSettings } from "./lifecycle-publishing.ts";
import { settingsIssues } from "./settings-issues.ts";

/**
 * The deploy function's environment (and the re-check's), read once per container. Each
 * service's Deployments on the stage come from STAGE_CONFIG, the same lanes the webhook reads.
 */
export const DeployEnv = z
  .object({
    SLIPWAY_STAGE: z.string().check(z.minLength(1)),
    STAGE_CONFIG: z.string().check(z.minLength(2)),
    LEDGER_TABLE: z.string().check(z.minLength(3)),
    /** The EKS cluster; or KUBECONFIG (a file) to target any other cluster, as the demo does. */
    EKS_CLUSTER_NAME: z.optional(z.string().check(z.minLength(1))),
    KUBECONFIG: z.optional(z.string().check(z.minLength(1))),
    AWS_REGION: z._default(z.string().check(z.minLength(1)), "us-east-1"),
    /** Kept below the function's timeout, which infra sets to this plus 60 s for the rollback. */
    ROLLOUT_TIMEOUT_SECONDS: z._default(
      z.pipe(z.coerce.number(), z.int().check(z.positive())),
      300,
    ),
    ...GitHubEnv,
    AWS_CALL_TIMEOUT_MS: z._default(z.pipe(z.coerce.number(), z.int().check(z.positive())), 5000),
  })
  .check(
    z.refine((env) => env.EKS_CLUSTER_NAME !== undefined || env.KUBECONFIG !== undefined, {
      message: "set EKS_CLUSTER_NAME (or KUBECONFIG outside AWS)",
    }),
  )
  .check(z.refine(...hasGitHubCredentials));

/** What the deploy side runs on: the functions read it from their environment, the CLI from the stage. */
export type DeploySettings = DeployerAdapterSettings & {
  /** Every service this stage deploys, each with its own Deployments, registry and project. */
  targets: DeployTarget[];
  cluster: ClusterAccess;
  rolloutTimeoutMs: number;
};

/** The settings are missing or invalid; the message names variables, never their values. */
export class DeployConfigError extends Error {
  override readonly name = "DeployConfigError";
}

/** Parses the environment into the deploy side's settings, or throws DeployConfigError. */
export function readDeploySettings(env: NodeJS.ProcessEnv): DeploySettings {
  const parsed = DeployEnv.safeParse(env);
  if (!parsed.success) {
    throw new DeployConfigError(`invalid settings: ${settingsIssues(parsed.error)}`);
  }
  const e = parsed.data;
  return {
    targets: readTargets(e),
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

function readTargets(e: z.infer<typeof DeployEnv>): DeployTarget[] {
  try {
    const lanes = StageConfig.parse(JSON.parse(e.STAGE_CONFIG)).stages.filter(
      (s) => s.name === e.SLIPWAY_STAGE,
    );
    if (lanes.length === 0) {
      throw new DeployConfigError(`STAGE_CONFIG has no stage named SLIPWAY_STAGE`);
    }
    return lanes.map((lane) =>
      DeployTarget.parse({
        stage: lane.name,
        service: lane.service,
        codebuildProject: lane.codebuildProject,
        deployments: lane.deployments,
        environmentUrl: lane.environmentUrl,
        production: lane.production,
        imageRepository: lane.imageRepository,
      }),
    );
  } catch (error) {
    if (error instanceof DeployConfigError) throw error;
    const detail = error instanceof z.ZodError ? settingsIssues(error) : "STAGE_CONFIG is not JSON";
    throw new DeployConfigError(`the stage's Deployments are invalid: ${detail}`);
  }
}
