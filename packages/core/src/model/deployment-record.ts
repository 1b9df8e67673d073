import { z } from "zod";
import { DeploymentState } from "./deployment-state.ts";
import { CommitSha } from "./push-event.ts";

/** A deployment is named by its stage and its per-stage sequence number. */
export type DeploymentKey = { stage: string; sequence: number };

/** Whether GitHub has been told about the deployment; `pending` means a report is owed. */
export const GitHubReport = { reported: "reported", pending: "pending" } as const;
export type GitHubReport = (typeof GitHubReport)[keyof typeof GitHubReport];

const isoTime = z.iso.datetime({ offset: true });

/**
 * One accepted push and everything that happened to it: the ledger's unit of history.
 *
 * @example
 * { "stage": "production", "sequence": 42, "deliveryId": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
 *   "state": "queued", "repository": { "owner": "Codertocat", "name": "Hello-World" },
 *   "ref": "refs/heads/main", "commit": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
 *   "commitTitle": "Initial commit", "project": "slipway-production",
 *   "buildId": "slipway-production:0b0f…", "logUrl": "https://…", "githubReport": "pending",
 *   "createdAt": "2026-11-25T10:00:00.000Z", "updatedAt": "2026-11-25T10:00:00.000Z",
 *   "transitions": [{ "state": "queued", "at": "2026-11-25T10:00:00.000Z" }] }
 */
export const DeploymentRecord = z.object({
  stage: z.string().min(1),
  sequence: z.number().int().positive(),
  deliveryId: z.string().min(1),
  state: z.enum(DeploymentState),
  repository: z.object({ owner: z.string().min(1), name: z.string().min(1) }),
  ref: z.string().min(1),
  commit: CommitSha,
  /** The head commit's first line, for people reading the history; never parsed. */
  commitTitle: z.string(),
  project: z.string().min(1),
  buildId: z.string().min(1),
  logUrl: z.url(),
  githubReport: z.enum(GitHubReport),
  githubDeploymentId: z.number().int().positive().optional(),
  /** The sequence of the deployment that made this one superseded. */
  supersededBy: z.number().int().positive().optional(),
  /** `repo@sha256:…` once the build has produced it. */
  imageDigest: z.string().optional(),
  /** Why the deployment ended as it did, in words, for `failed` and `rolled_back` (and `held`). */
  reason: z.string().optional(),
  /**
   * The newest image the ledger recorded as succeeded on the stage when this deployment moved
   * to deploying: what a failed rollout restores. Never merely what happened to run before.
   */
  previousDigest: z.string().optional(),
  /** When GitHub received the push, as signed into its body (`repository.pushed_at`). */
  pushedAt: isoTime.optional(),
  /** When the webhook received the push (the delivery's claim): the trace's first step. */
  receivedAt: isoTime.optional(),
  /** When the image patch reached the cluster: the trace's "patch sent" step. */
  patchedAt: isoTime.optional(),
  /** An operator's rollback away from this deployment (`slipway rollback`). */
  operatorRollback: z
    .object({
      at: isoTime,
      by: z.string(),
      toImage: z.string(),
      toCommit: z.string().optional(),
      toSequence: z.number().int().positive().optional(),
    })
    .optional(),
  createdAt: isoTime,
  updatedAt: isoTime,
  transitions: z.array(z.object({ state: z.enum(DeploymentState), at: isoTime })).min(1),
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
