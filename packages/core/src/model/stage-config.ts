import * as z from "./zod.ts";

/** One Kubernetes Deployment that runs the stage's image; every one is patched on deploy. */
export const WorkloadTarget = z.object({
  namespace: z.string().check(z.minLength(1)),
  name: z.string().check(z.minLength(1)),
  container: z.string().check(z.minLength(1)),
});
export type WorkloadTarget = z.infer<typeof WorkloadTarget>;

/** A name that can name Kubernetes objects, AWS resources and a GitHub context: a DNS label. */
export const DnsLabel = z
  .string()
  .check(z.regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, "a lowercase DNS label"));

/** A GitHub repository as a service declares it: `owner/name` and the id that survives renames. */
export const GitHubRepositoryRef = z.object({
  fullName: z.string().check(z.regex(/^[\w.-]+\/[\w.-]+$/, "owner/name")),
  id: z.int().check(z.positive()),
});

/**
 * One service on one stage (a lane): which repository and branches deploy to it, which paths
 * of the repository it is built from, which CodeBuild project builds it, and what it runs.
 * Every lane has its own sequence, pin, history and GitHub context (`slipway/<stage>/<service>`).
 *
 * @example
 * { "name": "production", "service": "chat", "branches": ["main"],
 *   "repository": { "fullName": "acme/chat", "id": 186853002 },
 *   "codebuildProject": "slipway-production-chat",
 *   "deployments": [{ "namespace": "chat", "name": "chat-server", "container": "server" }],
 *   "imageRepository": "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-production",
 *   "environmentUrl": "https://chat.example.com", "stopOlderBuilds": true }
 */
export const Stage = z.object({
  /** The stage; kept DNS-label-like so it can name resources. */
  name: DnsLabel,
  /** The service this lane deploys (a service declaration's name). */
  service: DnsLabel,
  /** The only repository whose pushes build this lane, checked by id and name. */
  repository: GitHubRepositoryRef,
  /** Branch globs (`main`, `release/*`, `feature/**`), without `refs/heads/`. */
  branches: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  /**
   * Path globs in the repository (`services/greeter/**`): a push that touches none of them
   * builds nothing for this service (monorepos). Unset: every push builds.
   */
  paths: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
  codebuildProject: z.string().check(z.minLength(2), z.maxLength(255)),
  deployments: z.array(WorkloadTarget).check(z.minLength(1)),
  environmentUrl: z.optional(z.url()),
  /**
   * The service's image repository (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`): the
   * deploy function rolls out only `<imageRepository>@sha256:<digest>`, and only a digest the
   * repository holds. Infra sets it from the service's ECR repository.
   */
  imageRepository: z.string().check(z.regex(/^[a-z0-9][a-z0-9._\-/:]*[a-z0-9]$/)),
  /** GitHub's `production_environment` flag for this stage's Deployments. */
  production: z._default(z.boolean(), false),
  /** When a newer push supersedes a running build, also StopBuild it (saves build minutes). */
  stopOlderBuilds: z._default(z.boolean(), false),
});
export type Stage = z.infer<typeof Stage>;

/**
 * Every lane (stage × service), in precedence order: for each service, a branch deploys to
 * the first of its stages whose globs match it.
 * @see https://docs.github.com/en/rest/deployments/deployments#create-a-deployment
 */
export const StageConfig = z.object({
  stages: z.array(Stage).check(
    z.minLength(1),
    z.refine(
      (stages) => new Set(stages.map((s) => `${s.name}/${s.service}`)).size === stages.length,
      { message: "each service may appear once per stage" },
    ),
    z.refine((stages) => new Set(stages.map((s) => s.codebuildProject)).size === stages.length, {
      message: "each lane has its own CodeBuild project (the build event names its service)",
    }),
  ),
});
export type StageConfig = z.infer<typeof StageConfig>;

/** One stage's one service: the unit of sequence, pin, history and trace in the ledger. */
export type Lane = { stage: string; service: string };

/** `stage/service`, as people, logs and GitHub contexts name a lane. */
export function laneName(lane: Lane): string {
  return `${lane.stage}/${lane.service}`;
}
