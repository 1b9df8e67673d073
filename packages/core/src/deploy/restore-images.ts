import { DeployAnnotation, readDeployMark } from "../model/deploy-annotations.ts";
import { workloadName } from "../model/deploy-target.ts";
import type { WorkloadTarget } from "../model/stage-config.ts";
import { truncate } from "../model/truncate.ts";
import { retryTransient, transientRetryPolicy } from "../ports/retry.ts";
import { type ApplyImageDeps, compareAndSet, type OwnImage } from "./apply-image.ts";

export type RestoreOutcome =
  | { kind: "restored"; target: string; image: string }
  /** Not ours any more (a newer sequence, or already restored): left as it is. */
  | { kind: "untouched"; target: string; why: string }
  | { kind: "no-previous"; target: string };

/**
 * Puts back the image that ran before this build, on one Deployment, but only while the
 * Deployment still runs this build's image under this build's sequence: a newer build's
 * rollout is never undone. The previous image comes from the annotation written with the
 * patch, else from the newest earlier ReplicaSet with a different image.
 */
export async function restoreImage(
  deps: ApplyImageDeps,
  target: WorkloadTarget,
  own: OwnImage,
  reason: string,
): Promise<RestoreOutcome> {
  const name = workloadName(target);
  return compareAndSet<RestoreOutcome>(deps, target, async (state) => {
    const mark = readDeployMark(state.annotations);
    if (mark?.sequence !== own.sequence || state.image !== own.image) {
      return { done: { kind: "untouched", target: name, why: "no longer this build's image" } };
    }
    const previous = mark.previousImage ?? (await previousRevisionImage(deps, target, own.image));
    if (previous === undefined) return { done: { kind: "no-previous", target: name } };
    return {
      change: {
        image: previous,
        resourceVersion: state.resourceVersion,
        annotations: {
          [DeployAnnotation.changeCause]: truncate(
            `slipway #${own.sequence} rolled back: ${reason}`,
            250,
          ),
        },
      },
      applied: () => ({ kind: "restored", target: name, image: previous }),
    };
  });
}

/** Restores every Deployment of the stage at once (rule 4: a rollback restores all of them). */
export function restoreImages(
  deps: ApplyImageDeps,
  targets: readonly WorkloadTarget[],
  own: OwnImage,
  reason: string,
): Promise<RestoreOutcome[]> {
  return Promise.all(targets.map((target) => restoreImage(deps, target, own, reason)));
}

/** The image of the newest earlier ReplicaSet that differs from `current` (kubectl rollout undo). */
export async function previousRevisionImage(
  deps: ApplyImageDeps,
  target: WorkloadTarget,
  current: string,
): Promise<string | undefined> {
  const revisions = await retryTransient(deps, transientRetryPolicy, () =>
    deps.workloads.revisions(target),
  );
  return revisions.find((r) => r.image !== undefined && r.image !== current)?.image;
}
