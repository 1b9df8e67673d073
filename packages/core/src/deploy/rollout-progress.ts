import { guardSequence } from "../model/deploy-annotations.ts";
import { workloadName } from "../model/deploy-target.ts";
import type { WorkloadTarget } from "../model/stage-config.ts";
import { type RetryDeps, retryTransient, transientRetryPolicy } from "../ports/retry.ts";
import type { WorkloadState, Workloads } from "../ports/workloads.ts";
import type { OwnImage } from "./apply-image.ts";
import { rolloutVerdict } from "./rollout-verdict.ts";

/** Where one build's rollout stands, across every Deployment of the stage. */
export type RolloutProgress =
  | { kind: "complete" }
  | { kind: "progressing"; pending: string[] }
  | { kind: "failed"; reason: string }
  /** A newer sequence took over at least one Deployment. */
  | { kind: "superseded"; by: number }
  /** The image is gone although no newer sequence came: someone restored the previous one. */
  | { kind: "replaced"; reason: string };

type TargetProgress = RolloutProgress & { name: string };

/** Judges one Deployment against the build's own image and sequence, by kubectl's rules. */
export function targetProgress(state: WorkloadState, own: OwnImage): TargetProgress {
  const name = workloadName(state.target);
  const held = guardSequence(state.annotations);
  if (held > own.sequence) return { name, kind: "superseded", by: held };
  if (state.image !== own.image) {
    return { name, kind: "replaced", reason: `${name} no longer runs the image` };
  }
  // A paused Deployment never finishes its rollout: an operator's act, like a hand edit.
  if (state.snapshot.spec?.paused) {
    return { name, kind: "replaced", reason: `${name} was paused by hand` };
  }
  const verdict = rolloutVerdict(state.snapshot);
  if (verdict.kind === "complete") return { name, kind: "complete" };
  if (verdict.kind === "failed") {
    return { name, kind: "failed", reason: `${verdict.reason}: ${verdict.message}` };
  }
  return { name, kind: "progressing", pending: [verdict.message] };
}

/**
 * Combines every Deployment's progress into the build's. Superseded outranks everything (the
 * newer build owns the outcome now), then a replaced image, then a failure; complete needs all.
 */
export function combineProgress(parts: readonly TargetProgress[]): RolloutProgress {
  const superseded = parts.flatMap((p) => (p.kind === "superseded" ? [p.by] : []));
  if (superseded.length > 0) return { kind: "superseded", by: Math.max(...superseded) };
  const replaced = parts.find((p) => p.kind === "replaced");
  if (replaced?.kind === "replaced") return { kind: "replaced", reason: replaced.reason };
  const failed = parts.filter((p) => p.kind === "failed");
  if (failed.length > 0) {
    return {
      kind: "failed",
      reason: failed.map((p) => p.kind === "failed" && p.reason).join("; "),
    };
  }
  const pending = parts.flatMap((p) => (p.kind === "progressing" ? p.pending : []));
  return pending.length === 0 ? { kind: "complete" } : { kind: "progressing", pending };
}

/** The deployment controller's message for a timed-out rollout, which names its ReplicaSet. */
const timedOutReplicaSet = /ReplicaSet "([^"]+)" has timed out progressing/;
const staleNote = "an earlier ReplicaSet's progress deadline, not yet cleared";

/**
 * Whether a ProgressDeadlineExceeded verdict belongs to an earlier pod template. The controller
 * keeps a timed-out Progressing condition, message and all, until it counts progress, so just
 * after a restore patch it reports the new generation observed while still naming the failed
 * rollout's ReplicaSet (found by the apiserver-faults drill). Only a timeout of a ReplicaSet
 * that runs this image is this rollout's. A listing that keeps failing throws (the run is
 * retried) rather than letting a stale deadline fail a rollout that is fine.
 * @see https://github.com/kubernetes/kubernetes/blob/v1.35.4/pkg/controller/deployment/progress.go
 */
async function staleDeadline(
  deps: RetryDeps & { workloads: Workloads },
  target: WorkloadTarget,
  progress: TargetProgress,
  own: OwnImage,
): Promise<boolean> {
  if (progress.kind !== "failed") return false;
  const named = timedOutReplicaSet.exec(progress.reason)?.[1];
  if (named === undefined) return false;
  const sets = await retryTransient(deps, transientRetryPolicy, () =>
    deps.workloads.revisions(target),
  );
  const set = sets.find((r) => r.name === named);
  return set !== undefined && set.image !== own.image;
}

/**
 * Follows every Deployment (one watch each) until the combined progress is decided or
 * `timeoutMs` passes; on timeout it returns the last `progressing`. Watches are closed on return.
 */
export async function awaitRollouts(
  deps: RetryDeps & { workloads: Workloads; after?: (ms: number) => Promise<void> },
  targets: readonly WorkloadTarget[],
  own: OwnImage,
  timeoutMs: number,
): Promise<RolloutProgress> {
  const stop = new AbortController();
  const latest = new Map<string, TargetProgress>();
  const progress = () =>
    latest.size < targets.length
      ? { kind: "progressing" as const, pending: ["waiting for the first read"] }
      : combineProgress([...latest.values()]);
  let settle: (value: RolloutProgress) => void = () => {};
  const decided = new Promise<RolloutProgress>((resolve) => {
    settle = resolve;
  });
  const follow = async (target: WorkloadTarget) => {
    for await (const state of deps.workloads.watch(target, stop.signal)) {
      const judged = targetProgress(state, own);
      latest.set(
        workloadName(target),
        (await staleDeadline(deps, target, judged, own))
          ? { name: judged.name, kind: "progressing", pending: [`${judged.name}: ${staleNote}`] }
          : judged,
      );
      const now = progress();
      if (now.kind !== "progressing") settle(now);
    }
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (deps.after) void deps.after(timeoutMs).then(() => settle(progress()));
  else timer = setTimeout(() => settle(progress()), timeoutMs);
  try {
    // A watch that throws (the API stayed unreachable) ends the wait with that error.
    const failures = Promise.all(targets.map(follow)).then(() => progress());
    return await Promise.race([decided, failures]);
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
}
