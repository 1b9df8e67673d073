import { matchesAnyBranch } from "../model/branch-glob.ts";
import { type PushEvent, zeroSha } from "../model/push-event.ts";
import type { Stage, StageConfig } from "../model/stage-config.ts";
import { changedPaths, touchesService } from "./changed-paths.ts";

/** Why a delivery starts no build; each value is what the webhook answers in its 202. */
export const SkipReason = {
  notAPush: "not-a-push",
  tag: "tag",
  notABranch: "not-a-branch",
  branchDeleted: "branch-deleted",
  unmappedBranch: "unmapped-branch",
  /** The branch is mapped, but the push changed none of the service's paths (monorepos). */
  noServicePaths: "no-service-paths",
  skipCi: "skip-ci",
} as const;
export type SkipReason = (typeof SkipReason)[keyof typeof SkipReason];

/**
 * Environment overrides every build receives, so the build (and the CodeBuild state-change
 * event that reaches the deploy function) carries its commit, stage, delivery and sequence.
 */
export const BuildEnv = {
  commit: "SLIPWAY_COMMIT",
  stage: "SLIPWAY_STAGE",
  service: "SLIPWAY_SERVICE",
  deliveryId: "SLIPWAY_DELIVERY_ID",
  sequence: "SLIPWAY_SEQUENCE",
} as const;

/**
 * What StartBuild is asked for; `idempotencyToken` is the delivery id and the service: a
 * monorepo's one delivery starts one build per service, and CodeBuild refuses a token reused
 * with other parameters.
 */
export type BuildRequest = {
  projectName: string;
  /** The full commit SHA, never a branch name, so the build is of exactly the pushed commit. */
  sourceVersion: string;
  idempotencyToken: string;
  environment: Readonly<Record<string, string>>;
};

/** The commit a build is for, with what GitHub reporting and the ledger need. */
export type PushedCommit = {
  sha: string;
  ref: string;
  branch: string;
  message: string;
  repository: { owner: string; name: string };
};

export type BuildPlan =
  | { kind: "build"; stage: Stage; commit: PushedCommit; request: BuildRequest }
  | { kind: "skip"; reason: SkipReason };

const branchPrefix = "refs/heads/";
// GitHub Actions honours these markers too; matching case-insensitively is the forgiving choice.
const skipCiMarker = /\[(?:skip ci|ci skip)\]/i;

export type BuildPlans =
  | { kind: "build"; plans: Array<Extract<BuildPlan, { kind: "build" }>> }
  | { kind: "skip"; reason: SkipReason };

/**
 * Decides which services a push builds, each on which stage and with which request, or why
 * it builds none. `lanes` are the lanes of the pushed repository only (see routePush); per
 * service, the first of its stages whose globs match the branch wins, and a service declared
 * with paths builds only when the push changed one of them.
 */
export function planBuilds(
  push: PushEvent,
  lanes: StageConfig["stages"],
  deliveryId: string,
): BuildPlans {
  const services = [...new Set(lanes.map((lane) => lane.service))];
  const plans = services.map((service) =>
    planBuild(push, { stages: lanes.filter((lane) => lane.service === service) }, deliveryId),
  );
  const builds = plans.filter((plan) => plan.kind === "build");
  if (builds.length > 0) return { kind: "build", plans: builds };
  const reasons = plans.flatMap((plan) => (plan.kind === "skip" ? [plan.reason] : []));
  // The most telling reason: a mapped branch whose paths were untouched says more than unmapped.
  const reason = reasons.includes(SkipReason.noServicePaths)
    ? SkipReason.noServicePaths
    : (reasons[0] ?? SkipReason.unmappedBranch);
  return { kind: "skip", reason };
}

/** Decides whether a push builds one service, for which stage and with which request, or why not. */
export function planBuild(push: PushEvent, config: StageConfig, deliveryId: string): BuildPlan {
  if (push.ref.startsWith("refs/tags/")) return skip(SkipReason.tag);
  if (!push.ref.startsWith(branchPrefix)) return skip(SkipReason.notABranch);
  if (push.deleted || push.after === zeroSha) return skip(SkipReason.branchDeleted);
  const branch = push.ref.slice(branchPrefix.length);
  const stage = config.stages.find((s) => matchesAnyBranch(branch, s.branches));
  if (stage === undefined) return skip(SkipReason.unmappedBranch);
  const message = push.head_commit?.message ?? "";
  if (skipCiMarker.test(message)) return skip(SkipReason.skipCi);
  if (!touchesService(changedPaths(push), stage.paths)) return skip(SkipReason.noServicePaths);
  return {
    kind: "build",
    stage,
    commit: {
      sha: push.after,
      ref: push.ref,
      branch,
      message,
      repository: { owner: push.repository.owner.login, name: push.repository.name },
    },
    request: {
      projectName: stage.codebuildProject,
      sourceVersion: push.after,
      idempotencyToken: `${deliveryId}/${stage.service}`,
      environment: {
        [BuildEnv.commit]: push.after,
        [BuildEnv.stage]: stage.name,
        [BuildEnv.service]: stage.service,
        [BuildEnv.deliveryId]: deliveryId,
      },
    },
  };
}

/** The planned request with its per-stage sequence number added to the build's environment. */
export function withSequence(request: BuildRequest, sequence: number): BuildRequest {
  return {
    ...request,
    environment: { ...request.environment, [BuildEnv.sequence]: String(sequence) },
  };
}

function skip(reason: SkipReason): BuildPlan {
  return { kind: "skip", reason };
}
