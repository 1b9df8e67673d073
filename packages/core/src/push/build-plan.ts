import { matchesAnyBranch } from "../model/branch-glob.ts";
import { type PushEvent, zeroSha } from "../model/push-event.ts";
import type { Stage, StageConfig } from "../model/stage-config.ts";

/** Why a delivery starts no build; each value is what the webhook answers in its 202. */
export const SkipReason = {
  notAPush: "not-a-push",
  tag: "tag",
  notABranch: "not-a-branch",
  branchDeleted: "branch-deleted",
  unmappedBranch: "unmapped-branch",
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
  deliveryId: "SLIPWAY_DELIVERY_ID",
  sequence: "SLIPWAY_SEQUENCE",
} as const;

/** What StartBuild is asked for; `idempotencyToken` is the delivery id. */
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

/** Decides whether a push builds, for which stage and with which request, or why it does not. */
export function planBuild(push: PushEvent, config: StageConfig, deliveryId: string): BuildPlan {
  if (push.ref.startsWith("refs/tags/")) return skip(SkipReason.tag);
  if (!push.ref.startsWith(branchPrefix)) return skip(SkipReason.notABranch);
  if (push.deleted || push.after === zeroSha) return skip(SkipReason.branchDeleted);
  const branch = push.ref.slice(branchPrefix.length);
  const stage = config.stages.find((s) => matchesAnyBranch(branch, s.branches));
  if (stage === undefined) return skip(SkipReason.unmappedBranch);
  const message = push.head_commit?.message ?? "";
  if (skipCiMarker.test(message)) return skip(SkipReason.skipCi);
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
      idempotencyToken: deliveryId,
      environment: {
        [BuildEnv.commit]: push.after,
        [BuildEnv.stage]: stage.name,
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
