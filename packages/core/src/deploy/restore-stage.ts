import { DeployAnnotation, guardSequence } from "../model/deploy-annotations.ts";
import { workloadName } from "../model/deploy-target.ts";
import type { DeploymentRecord } from "../model/deployment-record.ts";
import { DeploymentState } from "../model/deployment-state.ts";
import { describeError } from "../model/describe-error.ts";
import type { WorkloadTarget } from "../model/stage-config.ts";
import { truncate } from "../model/truncate.ts";
import { RefusedError } from "../ports/infrastructure-errors.ts";
import { retryTransient, transientRetryPolicy } from "../ports/retry.ts";
import { owed, reportState } from "../report/report-state.ts";
import { compareAndSet, type OwnImage } from "./apply-image.ts";
import type { DeployDeps, DeployOutcome, FollowOptions, RestoreOutcome } from "./deploy-outcome.ts";
import { key, recordSuperseded, recordVerdict, shortImage, stateAfter } from "./record-verdict.ts";
import { awaitRollouts } from "./rollout-progress.ts";

const from = [DeploymentState.rollingBack];

/**
 * Records the decision to roll back (`rolling_back`, with the failure's reason and the image
 * to restore: the newest succeeded one now, since one may have succeeded during the rollout)
 * before any restore patch, then restores. A run that dies after this point is resumed by its retry or
 * the re-check, which continue the same restore instead of guessing from the cluster.
 */
export async function beginRestore(
  deps: DeployDeps,
  record: DeploymentRecord,
  reason: string,
  options: FollowOptions = {},
): Promise<DeployOutcome> {
  const history = await retryTransient(deps, transientRetryPolicy, () =>
    deps.ledger.history(record, 50),
  );
  const previousDigest = lastSucceededImage(history, record) ?? record.previousDigest;
  const decided = await deps.ledger.transition(key(record), {
    from: [DeploymentState.deploying],
    to: DeploymentState.rollingBack,
    at: deps.now(),
    fields: { reason: truncate(reason, 1000), ...(previousDigest ? { previousDigest } : {}) },
  });
  if (decided.kind === "applied") return restoreStage(deps, decided.record, options);
  const current = decided.kind === "conflict" ? decided.current : undefined;
  if (current?.state === DeploymentState.rollingBack) return restoreStage(deps, current, options);
  return { kind: "duplicate", state: stateAfter(decided, record) };
}

/**
 * Puts every Deployment that still runs this build's image back on the stage's last succeeded
 * image (`previousDigest`), follows that rollout like any other, and records the verdict:
 * `rolled_back` once every Deployment runs it, `failed` naming each one that does not (or a
 * restore that failed or outlived its bound), `superseded` if a newer build took over.
 * Idempotent: a Deployment already restored is left alone, so a retry finishes the rest.
 */
export async function restoreStage(
  deps: DeployDeps,
  record: DeploymentRecord,
  options: FollowOptions = {},
): Promise<DeployOutcome> {
  const reason = record.reason ?? "the rollout failed";
  const to = record.previousDigest;
  const image = record.imageDigest;
  if (to === undefined || image === undefined) {
    return recordVerdict(deps, record, from, "failed", `${reason}; no succeeded image to restore`);
  }
  const own: OwnImage = { sequence: record.sequence, image };
  const cause = truncate(`slipway #${record.sequence} rolled back: ${reason}`, 250);
  const settled = await Promise.allSettled(
    deps.target.deployments.map((t) => restoreOne(deps, t, own, to, cause)),
  );
  const unexpected = settled.find(
    (s) => s.status === "rejected" && !(s.reason instanceof RefusedError),
  );
  // Anything else is worth a retry: the state stays rolling_back, so the retry continues here.
  if (unexpected?.status === "rejected") throw unexpected.reason;
  const steps = settled.map((s, i): Step => {
    if (s.status === "fulfilled") return s.value;
    const target = workloadName(deps.target.deployments[i] as WorkloadTarget);
    return { kind: "not-restored", target, why: describeError(s.reason) };
  });
  const newer = steps.flatMap((s) => (s.kind === "newer" ? [s.sequence] : []));
  if (newer.length > 0) return recordSuperseded(deps, record, Math.max(...newer), from);
  const restored = steps.filter((s): s is RestoreOutcome => s.kind !== "newer");
  const following = deps.target.deployments.filter((t) =>
    restored.some((r) => r.kind === "restored" && r.target === workloadName(t)),
  );
  const progress = await awaitRollouts(
    deps,
    following,
    { sequence: record.sequence, image: to },
    deps.rolloutTimeoutMs,
  );
  const back = `the restore to ${shortImage(to)}`;
  switch (progress.kind) {
    case "progressing":
      if (options.expired) {
        return recordVerdict(
          deps,
          record,
          from,
          "failed",
          `${reason}; ${back} did not complete in time`,
        );
      }
      return { kind: "rolling", pending: progress.pending };
    case "superseded":
      return recordSuperseded(deps, record, progress.by, from);
    case "replaced":
      return recordVerdict(deps, record, from, "replaced", `${reason}; then ${progress.reason}`);
    case "failed":
      return recordVerdict(
        deps,
        record,
        from,
        "failed",
        `${reason}; ${back} failed: ${progress.reason}`,
      );
    case "complete":
      break;
  }
  const missing = restored.filter((r) => r.kind === "not-restored");
  if (missing.length > 0) {
    const named = missing.map((m) => `${m.target} (${m.why})`).join(", ");
    return recordVerdict(deps, record, from, "failed", `${reason}; not restored: ${named}`);
  }
  const done = await deps.ledger.transition(key(record), {
    from,
    to: DeploymentState.rolledBack,
    at: deps.now(),
    fields: owed,
  });
  if (done.kind !== "applied") return { kind: "duplicate", state: stateAfter(done, record) };
  await reportState(deps, done.record, {
    state: "failure",
    description: `Rolled back #${record.sequence}: ${reason}`,
    commitState: "failure",
    logUrl: record.logUrl,
  });
  return { kind: "rolled-back", reason, restored };
}

type Step = RestoreOutcome | { kind: "newer"; sequence: number };

/**
 * Restores one Deployment by compare-and-set, only while it runs this build's image under
 * this build's sequence: a newer build's rollout is never undone, and a hand edit is left.
 */
function restoreOne(
  deps: DeployDeps,
  target: WorkloadTarget,
  own: OwnImage,
  to: string,
  cause: string,
): Promise<Step> {
  const name = workloadName(target);
  return compareAndSet<Step>(deps, target, (state) => {
    const held = guardSequence(state.annotations);
    if (held > own.sequence) return { done: { kind: "newer", sequence: held } };
    if (state.image === to) {
      return { done: { kind: "restored", target: name, image: to, patched: false } };
    }
    if (state.image !== own.image) {
      const why = held < own.sequence ? `an older build (#${held}) holds it` : "changed by hand";
      return { done: { kind: "not-restored", target: name, why } };
    }
    return {
      change: {
        image: to,
        resourceVersion: state.resourceVersion,
        annotations: { [DeployAnnotation.changeCause]: cause },
      },
      applied: () => ({ kind: "restored", target: name, image: to, patched: true }),
    };
  });
}

/**
 * What a failure of `record` restores: the newest image the ledger recorded as succeeded on
 * the stage before it, not whatever happened to run before (DESIGN rule 5).
 */
export function lastSucceededImage(
  history: readonly DeploymentRecord[],
  record: DeploymentRecord,
): string | undefined {
  return history.find((r) => r.sequence < record.sequence && r.state === DeploymentState.succeeded)
    ?.imageDigest;
}

/**
 * Takes a superseded build's image off the Deployments it reached, back to the stage's last
 * succeeded image (found by the simulation): when the newer build never reached one of them
 * (its patch was refused, or it failed first), the older image would otherwise stay there
 * with nothing to remove it. Deployments the newer build holds, or a person changed, are left.
 */
export async function withdrawImage(
  deps: DeployDeps,
  record: DeploymentRecord,
  own: OwnImage,
  by: number,
): Promise<void> {
  const history = await retryTransient(deps, transientRetryPolicy, () =>
    deps.ledger.history(record, 50),
  );
  const to = lastSucceededImage(history, record);
  if (to === undefined) return;
  const cause = truncate(`slipway #${record.sequence} rolled back: superseded by #${by}`, 250);
  const settled = await Promise.allSettled(
    deps.target.deployments.map((t) => restoreOne(deps, t, own, to, cause)),
  );
  const unexpected = settled.find(
    (s) => s.status === "rejected" && !(s.reason instanceof RefusedError),
  );
  // A retry resumes: the newer sequence is still there, so it withdraws again.
  if (unexpected?.status === "rejected") throw unexpected.reason;
}
