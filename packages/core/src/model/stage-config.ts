import { z } from "zod";

/** One Kubernetes Deployment that runs the stage's image; every one is patched on deploy. */
export const WorkloadTarget = z.object({
  namespace: z.string().min(1),
  name: z.string().min(1),
  container: z.string().min(1),
});
export type WorkloadTarget = z.infer<typeof WorkloadTarget>;

/**
 * One stage: which branches deploy to it, which CodeBuild project builds it, and what it runs.
 *
 * @example
 * { "name": "production", "branches": ["main"], "codebuildProject": "slipway-production",
 *   "deployments": [{ "namespace": "chat", "name": "chat-server", "container": "server" }],
 *   "environmentUrl": "https://chat.example.com", "stopOlderBuilds": true }
 */
export const Stage = z.object({
  /** Also the GitHub Deployment environment; kept DNS-label-like so it can name resources. */
  name: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, "a lowercase DNS label"),
  /** Branch globs (`main`, `release/*`, `feature/**`), without `refs/heads/`. */
  branches: z.array(z.string().min(1)).min(1),
  codebuildProject: z.string().min(2).max(255),
  deployments: z.array(WorkloadTarget).min(1),
  environmentUrl: z.url().optional(),
  /**
   * The stage's image repository (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`): the
   * deploy function rolls out only `<imageRepository>@sha256:<digest>`. Infra always sets it.
   */
  imageRepository: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._\-/:]*[a-z0-9]$/)
    .optional(),
  /** GitHub's `production_environment` flag for this stage's Deployments. */
  production: z.boolean().default(false),
  /** When a newer push supersedes a running build, also StopBuild it (saves build minutes). */
  stopOlderBuilds: z.boolean().default(false),
});
export type Stage = z.infer<typeof Stage>;

/**
 * Every stage, in precedence order: a branch deploys to the first stage whose globs match it.
 * @see https://docs.github.com/en/rest/deployments/deployments#create-a-deployment
 */
export const StageConfig = z.object({
  stages: z
    .array(Stage)
    .min(1)
    .refine((stages) => new Set(stages.map((s) => s.name)).size === stages.length, {
      message: "stage names must be unique",
    }),
});
export type StageConfig = z.infer<typeof StageConfig>;
