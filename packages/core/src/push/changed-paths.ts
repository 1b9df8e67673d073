import { branchGlob } from "../model/branch-glob.ts";
import type { PushEvent } from "../model/push-event.ts";

/**
 * The most commits a push payload lists: GitHub documents 20 for push events (and caps each
 * commit's file lists too), so a list this long may be truncated.
 * @see https://docs.github.com/en/webhooks/webhook-events-and-payloads#push
 */
export const pushCommitsCap = 20;

/**
 * The files a push changed, or `unknown` when the payload cannot say for certain: a new
 * branch (its commits are measured against another base), a force-push (dropped commits
 * change files no listed commit names), no commits listed, or a list at GitHub's cap. An
 * unknown change builds every service: a service is never left behind by a short list.
 */
export function changedPaths(
  push: PushEvent,
): { kind: "unknown" } | { kind: "known"; paths: Set<string> } {
  if (push.created || push.forced) return { kind: "unknown" };
  if (push.commits.length === 0 || push.commits.length >= pushCommitsCap)
    return { kind: "unknown" };
  const paths = new Set<string>();
  for (const commit of push.commits) {
    for (const path of [...commit.added, ...commit.modified, ...commit.removed]) paths.add(path);
  }
  return { kind: "known", paths };
}

/**
 * Whether the push touches a service declared with path globs (`*` within a segment, `**`
 * across, as branch globs); a service without paths is touched by every push.
 */
export function touchesService(
  changed: ReturnType<typeof changedPaths>,
  patterns: readonly string[] | undefined,
): boolean {
  if (patterns === undefined || changed.kind === "unknown") return true;
  const globs = patterns.map(branchGlob);
  for (const path of changed.paths) {
    if (globs.some((glob) => glob.test(path))) return true;
  }
  return false;
}
