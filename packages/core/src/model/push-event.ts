import * as z from "./zod.ts";

/** A full git object name: SHA-1 (40 hex) or SHA-256 (64 hex). */
export const CommitSha = z
  .string()
  .check(z.regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/, "a full commit SHA"));
export type CommitSha = z.infer<typeof CommitSha>;

/** The SHA GitHub sends as `after` when a push deletes its ref. */
export const zeroSha = "0000000000000000000000000000000000000000";

/**
 * The fields of GitHub's `push` webhook payload that Slipway uses; everything else is dropped.
 *
 * @example
 * { "ref": "refs/heads/main", "before": "0000…", "after": "6113728f…", "created": true,
 *   "deleted": false, "forced": false,
 *   "repository": { "id": 186853002, "name": "Hello-World", "full_name": "Codertocat/Hello-World",
 *                   "pushed_at": 1557933657,
 *                   "html_url": "https://github.com/Codertocat/Hello-World", "owner": { "login": "Codertocat" } },
 *   "head_commit": { "id": "6113728f…", "message": "Initial commit", "timestamp": "2019-05-15T15:19:25Z" },
 *   "pusher": { "name": "Codertocat" } }
 * @see https://docs.github.com/en/webhooks/webhook-events-and-payloads#push
 */
export const PushEvent = z.object({
  ref: z.string().check(z.minLength(1)),
  before: CommitSha,
  after: CommitSha,
  created: z.boolean(),
  deleted: z.boolean(),
  forced: z.boolean(),
  repository: z.object({
    /** Stable across renames and transfers; checked with the name against the stage's settings. */
    id: z.int().check(z.positive()),
    name: z.string().check(z.minLength(1)),
    full_name: z.string().check(z.minLength(3)),
    html_url: z.url(),
    owner: z.object({ login: z.string().check(z.minLength(1)) }),
    /** When GitHub received this push: epoch seconds in push events (an ISO time elsewhere). */
    pushed_at: z.union([z.int().check(z.positive()), z.iso.datetime({ offset: true })]),
  }),
  head_commit: z.nullable(
    z.object({
      id: CommitSha,
      message: z.string(),
      timestamp: z.string(),
    }),
  ),
  pusher: z.object({ name: z.string() }),
  /**
   * The pushed commits with the files each added, modified and removed: what a service's path
   * filter reads. GitHub caps the list (and each list of files), so a long push is built
   * for every service (see `changedPaths`).
   */
  commits: z._default(
    z.array(
      z.object({
        added: z._default(z.array(z.string()), []),
        modified: z._default(z.array(z.string()), []),
        removed: z._default(z.array(z.string()), []),
      }),
    ),
    [],
  ),
});
export type PushEvent = z.infer<typeof PushEvent>;
