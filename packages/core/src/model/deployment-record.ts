import { DeploymentState } from "./deployment-state.ts";
import { CommitSha } from "./push-event.ts";
import * as z from "./zod.ts";

/** A deployment is named by its stage, its service and its per-lane sequence number. */
export type DeploymentKey = { stage: string; service: string; sequence: number };

/** Whether GitHub has been told about the deployment; `pending` means a report is owed. */
export const GitHubReport = { reported: "reported", pending: "pending" } as const;
export type GitHubReport = (typeof GitHubReport)[keyof typeof GitHubReport];

const isoTime = z.iso.datetime({ offset: true });

/**
 * One accepted push and everything that happened to it: the ledger's unit of history.
 *
 * @example
 * { "stage": "production", "service": "chat", "sequence": 42, "deliveryId": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
 *   "state": "queued", "repository": { "owner": "Codertocat", "name": "Hello-World" },
 *   "ref": "refs/heads/main", "commit": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
 *   "commitTitle": "Initial commit", "project": "slipway-production",
 *   "buildId": "slipway-production:0b0f…", "logUrl": "https://…", "githubReport": "pending",
 *   "createdAt": "2026-11-25T10:00:00.000Z", "updatedAt": "2026-11-25T10:00:00.000Z",
 *   "transitions": [{ "state": "queued", "at": "2026-11-25T10:00:00.000Z" }] }
 */
export const DeploymentRecord = z.object({
  stage: z.string().check(z.minLength(1)),
  /** The service deployed; with the stage, the lane whose sequence, pin and history this is in. */
  service: z.string().check(z.minLength(1)),
  sequence: z.int().check(z.positive()),
  deliveryId: z.string().check(z.minLength(1)),
  state: z.enum(DeploymentState),
  repository: z.object({
    owner: z.string().check(z.minLength(1)),
    name: z.string().check(z.minLength(1)),
  }),
  ref: z.string().check(z.minLength(1)),
  commit: CommitSha,
  /** The head commit's first line, for people reading the history; never parsed. */
  commitTitle: z.string(),
  project: z.string().check(z.minLength(1)),
  buildId: z.string().check(z.minLength(1)),
  logUrl: z.url(),
  githubReport: z.enum(GitHubReport),
  githubDeploymentId: z.optional(z.int().check(z.positive())),
  /** The sequence of the deployment that made this one superseded. */
  supersededBy: z.optional(z.int().check(z.positive())),
  /** `repo@sha256:…` once the build has produced it. */
  imageDigest: z.optional(z.string()),
  /** Why the deployment ended as it did, in words, for `failed` and `rolled_back` (and `held`). */
  reason: z.optional(z.string()),
  /**
   * The newest image the ledger recorded as succeeded on the stage when this deployment moved
   * to deploying: what a failed rollout restores. Never merely what happened to run before.
   */
  previousDigest: z.optional(z.string()),
  /** When GitHub received the push, as signed into its body (`repository.pushed_at`). */
  pushedAt: z.optional(isoTime),
  /** When the webhook received the push (the delivery's claim): the trace's first step. */
  receivedAt: z.optional(isoTime),
  /** When the image patch reached the cluster: the trace's "patch sent" step. */
  patchedAt: z.optional(isoTime),
  /** An operator's rollback away from this deployment (`slipway rollback`). */
  operatorRollback: z.optional(
    z.object({
      at: isoTime,
      by: z.string(),
      toImage: z.string(),
      toCommit: z.optional(z.string()),
      toSequence: z.optional(z.int().check(z.positive())),
    }),
  ),
  createdAt: isoTime,
  updatedAt: isoTime,
  transitions: z
    .array(z.object({ state: z.enum(DeploymentState), at: isoTime }))
    .check(z.minLength(1)),
});
export type DeploymentRecord = z.infer<typeof DeploymentRecord>;

/** Fields that may change after a deployment is recorded, with or without a state change. */
export type DeploymentFields = Partial<
  Pick<
    DeploymentRecord,
    | "githubReport"
    | "githubDeploymentId"
    | "supersededBy"
    | "imageDigest"
    | "reason"
    | "previousDigest"
    | "patchedAt"
    | "operatorRollback"
  >
>;

/** The first line of a commit message, capped so a huge message cannot bloat the ledger. */
export function commitTitle(message: string): string {
  const firstLine = message.split("\n", 1)[0] ?? "";
  return firstLine.length > 200 ? `${firstLine.slice(0, 199)}…` : firstLine;
}
