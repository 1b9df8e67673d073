import { DeployAnnotation, guardSequence } from "../model/deploy-annotations.ts";
import { workloadName } from "../model/deploy-target.ts";
import type { WorkloadTarget } from "../model/stage-config.ts";
import { ConflictError, RefusedError, TransientError } from "../ports/infrastructure-errors.ts";
import {
  backoffDelay,
  type RetryDeps,
  retryTransient,
  transientRetryPolicy,
} from "../ports/retry.ts";
import type { ImageChange, WorkloadState, Workloads } from "../ports/workloads.ts";

export type ApplyImageDeps = RetryDeps & {
  workloads: Workloads;
  /**
   * Resolves once `ms` have passed: the bound of a rollout wait. Default a real timer; a
   * simulation passes its virtual clock (unlike `sleep`, which tests make instant).
   */
  after?: (ms: number) => Promise<void>;
};

/** One build's image as the deployer applies it: its sequence is the ordering guard. */
export type OwnImage = { sequence: number; image: string };

export type ApplyOutcome =
  /** The Deployment now runs the image under this sequence (patched now or by an earlier try). */
  | { kind: "applied"; state: WorkloadState; patched: boolean }
  /** A newer sequence already holds the Deployment: this build must not touch it. */
  | { kind: "newer"; sequence: number }
  /**
   * This build's image reached the Deployment once and something other than Slipway moved it
   * since (`kubectl set image`, `kubectl rollout undo`): a hand edit, never patched back.
   */
  | { kind: "moved"; target: string; image: string | undefined; why: string };

/** What the run knows of earlier patches of this build. */
export type ApplyOptions = {
  /** The ledger says every Deployment was patched (`patchedAt`). */
  patchedBefore?: boolean;
  /**
   * The high-water label the ledger expects: the newest older build it recorded as patched.
   * When set, the first patch is sent with no read, guarded by that label alone (see
   * applyImage); a Deployment at any other high-water takes the reading path.
   */
  expectedHighWater?: number;
};

/** Conflicts come from status updates during a rollout too, so allow a good number of re-reads. */
const conflictPolicy = { attempts: 12, baseDelayMs: 25, maxDelayMs: 400 };

/**
 * Sets the image on one Deployment unless a newer sequence holds it. The check (the sequence
 * annotation) and the write (a patch carrying the resourceVersion that was read) form a
 * compare-and-set: a concurrent writer makes the patch fail with 409, and the loop re-reads
 * and decides again. So two racing builds can never leave the older image in place. A resumed
 * run never patches a Deployment this build already reached (its ReplicaSet carries the
 * sequence): `kubectl rollout undo` copies an older ReplicaSet's annotations back, lowering the
 * guard, and patching again would revert the operator. For the same reason the guard is the
 * highest sequence of the Deployment, its high-water label and its ReplicaSets, so an older
 * build cannot slip in after an undo either.
 *
 * That reading path costs three round trips before the patch (the read, then the ReplicaSets
 * beside a second read). When the ledger expects a high-water below this build's sequence,
 * the first try is one guarded patch instead (`whileHighWater`): the label rises with every
 * Slipway patch and no undo lowers it, so "the label still reads what the ledger expects,
 * which is below this build" implies everything the reading path checks: no newer build, and
 * this build never reached the Deployment (so no undo of it to respect). The API server
 * checks the label in the same write; any other answer falls back to the reading path.
 */
export async function applyImage(
  deps: ApplyImageDeps,
  target: WorkloadTarget,
  own: OwnImage,
  annotations: Readonly<Record<string, string>>,
  options: ApplyOptions = {},
): Promise<ApplyOutcome> {
  const name = workloadName(target);
  const ownAnnotations = { ...annotations, [DeployAnnotation.sequence]: String(own.sequence) };
  const expected = options.expectedHighWater;
  if (expected !== undefined && expected < own.sequence && !options.patchedBefore) {
    try {
      const patched = await deps.workloads.setImage(target, {
        image: own.image,
        annotations: ownAnnotations,
        highWater: own.sequence,
        whileHighWater: expected,
      });
      return { kind: "applied", state: patched, patched: true };
    } catch (error) {
      // Another high-water, or an answer lost on the way (the patch may have applied; the
      // reading path then finds this build there): decide from a read instead.
      if (!(error instanceof ConflictError || error instanceof TransientError)) throw error;
    }
  }
  return compareAndSet<ApplyOutcome>(deps, target, async (state) => {
    // A strategic merge patch would add a container by that name: refuse instead.
    if (state.image === undefined) {
      throw new RefusedError(
        `patch ${workloadName(target)}: no container "${target.container}"`,
        422,
      );
    }
    const held = guardSequence(state.annotations);
    if (held > own.sequence) return { done: { kind: "newer", sequence: held } };
    if (held === own.sequence) {
      return state.image === own.image
        ? { done: { kind: "applied", state, patched: false } }
        : { done: moved(name, state.image, "its image was changed by hand") };
    }
    // `kubectl rollout undo` copies an older ReplicaSet's annotations back, lowering the
    // guard; the ReplicaSets still remember the highest sequence that reached the Deployment.
    const revisions = await retryTransient(deps, transientRetryPolicy, () =>
      deps.workloads.revisions(target),
    );
    const highest = Math.max(
      state.highWater,
      ...revisions.map((r) => guardSequence(r.annotations)),
    );
    if (highest > own.sequence) return { done: { kind: "newer", sequence: highest } };
    const reached = revisions.some(
      (r) => guardSequence(r.annotations) === own.sequence && r.image === own.image,
    );
    // Any run, not only a resumed one: the run that won the move to deploying may patch after
    // a concurrent resumed run already did and an operator undid it (found by the simulation).
    if (options.patchedBefore || reached) {
      // The read above may predate a concurrent run's patch of this very build, which the
      // ReplicaSets listed after it already show: only a fresh read can tell that from an undo.
      const fresh = await retryTransient(deps, transientRetryPolicy, () =>
        deps.workloads.read(target),
      );
      const freshHeld = guardSequence(fresh.annotations);
      if (freshHeld > own.sequence) return { done: { kind: "newer", sequence: freshHeld } };
      if (freshHeld === own.sequence && fresh.image === own.image) {
        return { done: { kind: "applied", state: fresh, patched: false } };
      }
      return { done: moved(name, fresh.image, "it was rolled back by hand (rollout undo)") };
    }
    return {
      change: {
        image: own.image,
        resourceVersion: state.resourceVersion,
        highWater: own.sequence,
        annotations: { ...ownAnnotations, [DeployAnnotation.previousImage]: state.image },
      },
      applied: (patched) => ({ kind: "applied", state: patched, patched: true }),
    };
  });
}

const moved = (target: string, image: string | undefined, why: string): ApplyOutcome => ({
  kind: "moved",
  target,
  image,
  why: `${target}: ${why}`,
});

/** One step of a compare-and-set: either decided without writing, or a change to try. */
export type CasStep<T> =
  | { done: T }
  | {
      change: Extract<ImageChange, { resourceVersion: string }>;
      applied: (patched: WorkloadState) => T;
    };

/**
 * Reads the Deployment, lets `decide` look at it, and applies the change it asks for with the
 * read resourceVersion as precondition; on ConflictError reads and decides again.
 */
export async function compareAndSet<T>(
  deps: ApplyImageDeps,
  target: WorkloadTarget,
  decide: (state: WorkloadState) => CasStep<T> | Promise<CasStep<T>>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const state = await retryTransient(deps, transientRetryPolicy, () =>
      deps.workloads.read(target),
    );
    const step = await decide(state);
    if ("done" in step) return step.done;
    try {
      const patched = await retryTransient(deps, transientRetryPolicy, () =>
        deps.workloads.setImage(target, step.change),
      );
      return step.applied(patched);
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= conflictPolicy.attempts) {
        if (error instanceof ConflictError) {
          throw new ConflictError(`patch ${workloadName(target)} (${attempt} tries)`, {
            cause: error,
          });
        }
        throw error;
      }
      await deps.sleep(backoffDelay(conflictPolicy, attempt, deps.random));
    }
  }
}
