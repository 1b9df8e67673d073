import * as z from "./zod.ts";

/** One Kubernetes Deployment that runs the stage's image; every one is patched on deploy. */
export const WorkloadTarget = z.object({
  namespace: z.string().check(z.minLength(1)),
  name: z.string().check(z.minLength(1)),
  container: z.string().check(z.minLength(1)),
});
export type WorkloadTarget = z.infer<typeof WorkloadTarget>;

/**
 * One stage: which branches deploy to it, which CodeBuild project builds it, and what it runs.
 *
 * @example
 * { "name": "production", "branches": ["main"], "codebuildProject": "slipway-production",
 *   "deployments": [{ "namespace": "chat", "name": "chat-server", "container": "server" }],
 *   "imageRepository": "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-production",
 *   "environmentUrl": "https://chat.example.com", "stopOlderBuilds": true }
 */
export const Stage = z.object({
  /** Also the GitHub Deployment environment; kept DNS-label-like so it can name resources. */
  name: z
    .string()
    .check(z.regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, "a lowercase DNS label")),
  /** Branch globs (`main`, `release/*`, `feature/**`), without `refs/heads/`. */
  branches: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  codebuildProject: z.string().check(z.minLength(2), z.maxLength(255)),
  deployments: z.array(WorkloadTarget).check(z.minLength(1)),
  environmentUrl: z.optional(z.url()),
  /**
   * The stage's image repository (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`): the
   * deploy function rolls out only `<imageRepository>@sha256:<digest>`, and only a digest the
   * repository holds. Infra sets it from the stage's ECR repository.
   */
  imageRepository: z.string().check(z.regex(/^[a-z0-9][a-z0-9._\-/:]*[a-z0-9]$/)),
  /** GitHub's `production_environment` flag for this stage's Deployments. */
  production: z._default(z.boolean(), false),
  /** When a newer push supersedes a running build, also StopBuild it (saves build minutes). */
  stopOlderBuilds: z._default(z.boolean(), false),
});
export type Stage = z.infer<typeof Stage>;

/**
 * Every stage, in precedence order: a branch deploys to the first stage whose globs match it.
 * @see https://docs.github.com/en/rest/deployments/deployments#create-a-deployment
 */
export const StageConfig = z.object({
  stages: z.array(Stage).check(
    z.minLength(1),
    z.refine((stages) => new Set(stages.map((s) => s.name)).size === stages.length, {
      message: "stage names must be unique",
    }),
  ),
});
export type StageConfig = z.infer<typeof StageConfig>;
