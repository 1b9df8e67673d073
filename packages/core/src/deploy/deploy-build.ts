import { DeployAnnotation } from "../model/deploy-annotations.ts";
import type { DeployTarget } from "../model/deploy-target.ts";
import type { DeploymentRecord } from "../model/deployment-record.ts";
import { DeploymentState, inFlightStates } from "../model/deployment-state.ts";
import { describeError } from "../model/describe-error.ts";
import { truncate } from "../model/truncate.ts";
import { RefusedError, TransientError } from "../ports/infrastructure-errors.ts";
import type { StagePin, TransitionOutcome } from "../ports/ledger.ts";
import { retryTransient, transientRetryPolicy } from "../ports/retry.ts";
import { type ReportDeps, reportState } from "../report/report-state.ts";
import { supersede } from "../report/supersede.ts";
import { type ApplyImageDeps, applyImage, type OwnImage } from "./apply-image.ts";
import type { FinishedBuild } from "./build-event.ts";
import { type RestoreOutcome, restoreImages } from "./restore-images.ts";
import { awaitRollouts, type RolloutProgress } from "./rollout-progress.ts";

export type DeployDeps = ApplyImageDeps &
  ReportDeps & {
    /** The stage this function deploys, and its Deployments. */
    target: DeployTarget;
    /** How long one run waits for a rollout; below the function's timeout, with room to roll back. */
    rolloutTimeoutMs: number;
  };

export type DeployOutcome =
  | { kind: "ignored"; reason: string }
  /** Already handled (a redelivered or repeated event): nothing was changed. */
  | { kind: "duplicate"; state: DeploymentState }
  | { kind: "build-failed"; status: "failed" | "stopped" }
  | { kind: "superseded"; by: number }
  /** The stage is pinned: the build is recorded `held`, not deployed, until an unpin. */
  | { kind: "held"; reason: string }
  | { kind: "succeeded"; image: string }
  | { kind: "rolled-back"; reason: string; restored: RestoreOutcome[] }
  /** Failed and nothing could be restored (a first deploy, or Kubernetes refused the patch). */
  | { kind: "failed"; reason: string }
  /** Still rolling out when this run's bound ran out; the scheduled re-check concludes it. */
  | { kind: "rolling"; pending: string[] };

/** States in which a newer deployment has put (or is putting) its image on the cluster. */
const onCluster: readonly DeploymentState[] = [
  DeploymentState.deploying,
  DeploymentState.succeeded,
  DeploymentState.rolledBack,
];

/**
 * Turns one finished build into its deployment outcome: a failed build is recorded and
 * reported; a successful one is rolled out by digest to every Deployment of the stage unless
 * a newer build got there first, followed to its verdict, and rolled back if it fails.
 * Idempotent: an event for a deployment already concluded changes nothing, and a retry of one
 * still `deploying` resumes it.
 */
export async function deployBuild(deps: DeployDeps, build: FinishedBuild): Promise<DeployOutcome> {
  if (build.stage !== deps.target.stage) {
    return {
      kind: "ignored",
      reason: `build is for stage ${build.stage}, not ${deps.target.stage}`,
    };
  }
  // Reads are retried like Kubernetes calls (a throttled DynamoDB is TransientError too);
  // writes are not: a compare-and-set that timed out may have applied, and its retry would
  // read as a lost race. Lambda's retry of the whole event resumes those safely.
  const record = await retryTransient(deps, transientRetryPolicy, () =>
    deps.ledger.get({ stage: build.stage, sequence: build.sequence }),
  );
  // A Slipway build with no record: the webhook's write has not landed yet (a build that
  // overtook it) or was lost. Throwing lets Lambda retry, then parks the event in the
  // alarmed DLQ, instead of dropping a build that may be the newest.
  if (record === undefined) {
    throw new TransientError(`find ${build.stage}#${build.sequence} in the ledger`);
  }
  if (record.deliveryId !== build.deliveryId || record.buildId !== build.buildId) {
    return { kind: "ignored", reason: "build does not match the ledger's deployment" };
  }
  if (build.status !== "succeeded") return failBuild(deps, record, build.status);
  if (build.image === undefined)
    return { kind: "ignored", reason: "successful build without image" };
  const foreign = foreignImage(build.image, deps.target.imageRepository);
  if (foreign !== undefined) return refuseImage(deps, record, foreign);

  if (record.state === DeploymentState.deploying) {
    return rollOut(deps, record, {
      sequence: record.sequence,
      image: record.imageDigest ?? build.image,
    });
  }
  if (!inFlightStates.includes(record.state)) return { kind: "duplicate", state: record.state };

  const history = await retryTransient(deps, transientRetryPolicy, () =>
    deps.ledger.history(record.stage, 50),
  );
  const newer = newerOnCluster(history, record);
  if (newer !== undefined) return superseded(deps, record, newer);
  const previousDigest = history.find(
    (r) => r.sequence < record.sequence && r.state === DeploymentState.succeeded,
  )?.imageDigest;
  // The pin is checked in the same atomic write as the move to deploying (see Ledger.pin).
  const started = await deps.ledger.transition(key(record), {
    from: inFlightStates,
    to: DeploymentState.deploying,
    at: deps.now(),
    fields: { imageDigest: build.image, ...(previousDigest ? { previousDigest } : {}) },
    unlessPinned: true,
  });
  if (started.kind === "pinned") return hold(deps, record, build.image, started.pin);
  if (started.kind === "conflict") {
    // Another run of the same event won the transition; it reports, this one only resumes.
    const current = started.current;
    if (current?.state !== DeploymentState.deploying) {
      return { kind: "duplicate", state: current?.state ?? record.state };
    }
    return rollOut(deps, current, {
      sequence: current.sequence,
      image: current.imageDigest ?? build.image,
    });
  }
  const reported = reportState(deps, started.record, {
    state: "in_progress",
    description: `Deploying #${record.sequence} (${short(record.commit)}) to ${record.stage}`,
    logUrl: record.logUrl,
  });
  return rollOut(deps, started.record, { sequence: record.sequence, image: build.image }, reported);
}

/**
 * Patches every Deployment (idempotently: a Deployment already at this image is left alone),
 * follows the rollout within `deps.rolloutTimeoutMs`, and concludes it. `reported` is the
 * in_progress report, sent alongside the patch so that GitHub's latency never delays it,
 * and awaited before the final report so that GitHub sees the states in order.
 */
export async function rollOut(
  deps: DeployDeps,
  record: DeploymentRecord,
  own: OwnImage,
  reported: Promise<unknown> = Promise.resolve(),
): Promise<DeployOutcome> {
  const { progress, restored } = await followRollout(deps, record, own);
  await reported;
  return conclude(deps, record, own, progress, restored);
}

async function followRollout(
  deps: DeployDeps,
  record: DeploymentRecord,
  own: OwnImage,
): Promise<{ progress: RolloutProgress; restored?: RestoreOutcome[] }> {
  const targets = deps.target.deployments;
  const annotations = deployAnnotations(record);
  // Settle every patch before judging: restoring while a sibling patch is still in flight
  // would miss it and leave that Deployment on the new image.
  const settled = await Promise.allSettled(
    targets.map((t) => applyImage(deps, t, own, annotations)),
  );
  const errors = settled.flatMap((s) => (s.status === "rejected" ? [s.reason] : []));
  const unexpected = errors.find((e) => !(e instanceof RefusedError));
  if (unexpected !== undefined) throw unexpected;
  if (errors.length > 0) {
    // Kubernetes will not take this patch (a missing Deployment, a forbidden namespace): a
    // retry cannot help, so undo what did land and report.
    const reason = errors.map(describeError).join("; ");
    const restored = await restoreAfterRefusal(deps, record, own, reason);
    return { progress: { kind: "failed", reason }, restored };
  }
  const applied = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  if (applied.some((a) => a.kind === "applied" && a.patched)) await notePatched(deps, record);
  const newer = applied.flatMap((a) => (a.kind === "newer" ? [a.sequence] : []));
  if (newer.length > 0) return { progress: { kind: "superseded", by: Math.max(...newer) } };
  if (applied.some((a) => a.kind === "restored")) {
    const reason = "an earlier attempt already restored the previous image";
    return { progress: { kind: "replaced", reason } };
  }
  return { progress: await awaitRollouts(deps, targets, own, deps.rolloutTimeoutMs) };
}

/**
 * Records and reports a rollout's progress once it is decided; `progressing` leaves the
 * deployment `deploying` for the re-check. A lost compare-and-set means another run concluded
 * it first, so this one reports nothing.
 */
export async function conclude(
  deps: DeployDeps,
  record: DeploymentRecord,
  own: OwnImage,
  progress: RolloutProgress,
  restoredAlready?: RestoreOutcome[],
): Promise<DeployOutcome> {
  const from = [DeploymentState.deploying];
  const at = deps.now();
  switch (progress.kind) {
    case "progressing":
      deps.log.info("rollout outlived this run; the re-check will conclude it", {
        stage: record.stage,
        sequence: record.sequence,
        pending: progress.pending,
      });
      return { kind: "rolling", pending: progress.pending };
    case "superseded":
      return superseded(deps, record, progress.by);
    case "complete": {
      const done = await deps.ledger.transition(key(record), {
        from,
        to: DeploymentState.succeeded,
        at,
      });
      if (done.kind !== "applied") return { kind: "duplicate", state: stateAfter(done, record) };
      await reportState(deps, done.record, {
        state: "success",
        description: `Deployed #${record.sequence} (${short(record.commit)}) to ${record.stage}`,
        commitState: "success",
        logUrl: record.logUrl,
        withEnvironmentUrl: true,
      });
      return { kind: "succeeded", image: own.image };
    }
    case "failed":
    case "replaced": {
      const restored =
        restoredAlready ??
        (progress.kind === "failed"
          ? await restoreImages(deps, deps.target.deployments, own, progress.reason)
          : []);
      const nothingBack = restored.length > 0 && restored.every((r) => r.kind !== "restored");
      const reason =
        progress.kind === "replaced" || !nothingBack
          ? progress.reason
          : `${progress.reason}; no previous image to restore`;
      const to = nothingBack ? DeploymentState.failed : DeploymentState.rolledBack;
      const done = await deps.ledger.transition(key(record), {
        from,
        to,
        at,
        fields: { reason: truncate(reason, 1000) },
      });
      if (done.kind !== "applied") return { kind: "duplicate", state: stateAfter(done, record) };
      await reportState(deps, done.record, {
        state: "failure",
        description: `${to === DeploymentState.rolledBack ? "Rolled back" : "Failed"} #${record.sequence}: ${reason}`,
        commitState: "failure",
        logUrl: record.logUrl,
      });
      return to === DeploymentState.rolledBack
        ? { kind: "rolled-back", reason, restored }
        : { kind: "failed", reason };
    }
  }
}

async function failBuild(
  deps: DeployDeps,
  record: DeploymentRecord,
  status: "failed" | "stopped",
): Promise<DeployOutcome> {
  const done = await deps.ledger.transition(key(record), {
    from: inFlightStates,
    to: DeploymentState.failed,
    at: deps.now(),
    fields: { reason: `build ${status}` },
  });
  if (done.kind !== "applied") return { kind: "duplicate", state: stateAfter(done, record) };
  await reportState(deps, done.record, {
    state: "failure",
    description: `Build #${record.sequence} ${status}; nothing was deployed`,
    // A stopped build is not the commit's fault (a newer push, or a person stopped it).
    commitState: status === "failed" ? "failure" : "error",
    logUrl: record.logUrl,
  });
  return { kind: "build-failed", status };
}

/**
 * Why an image may not roll out on this stage: it must be `<imageRepository>@sha256:…`, the
 * stage's own registry, whatever a build (or anything that can emit a build event) exported.
 */
export function foreignImage(image: string, repository: string | undefined): string | undefined {
  if (repository === undefined) return undefined;
  if (
    /^@sha256:[0-9a-f]{64}$/.test(image.slice(repository.length)) &&
    image.startsWith(repository)
  ) {
    return undefined;
  }
  return `image ${image} is not ${repository}@sha256:…, the stage's own registry`;
}

/** A build whose image is not the stage's: recorded failed, reported, nothing patched. */
async function refuseImage(
  deps: DeployDeps,
  record: DeploymentRecord,
  reason: string,
): Promise<DeployOutcome> {
  const done = await deps.ledger.transition(key(record), {
    from: inFlightStates,
    to: DeploymentState.failed,
    at: deps.now(),
    fields: { reason },
  });
  if (done.kind !== "applied") return { kind: "duplicate", state: stateAfter(done, record) };
  await reportState(deps, done.record, {
    state: "failure",
    description: `Build #${record.sequence}'s image is not from the stage's registry; nothing was deployed`,
    commitState: "error",
    logUrl: record.logUrl,
  });
  return { kind: "failed", reason };
}

/** A newer deployment reached the cluster first: this one is superseded, not deployed. */
async function superseded(
  deps: DeployDeps,
  record: DeploymentRecord,
  by: number,
): Promise<DeployOutcome> {
  const done = await supersede(deps, record, by, [...inFlightStates, DeploymentState.deploying]);
  if (done.kind !== "applied") return { kind: "duplicate", state: stateAfter(done, record) };
  return { kind: "superseded", by };
}

/** The newest deployment of the stage, newer than this one, whose image reached the cluster. */
function newerOnCluster(
  history: readonly DeploymentRecord[],
  record: DeploymentRecord,
): number | undefined {
  return history.find((r) => r.sequence > record.sequence && onCluster.includes(r.state))?.sequence;
}

/**
 * Records a successful build of a pinned stage as `held` (with its image, so an unpin can roll
 * it out) and tells GitHub its deployment is inactive, with the pin's reason. A build already
 * held (a redelivered event) changes nothing.
 */
async function hold(
  deps: DeployDeps,
  record: DeploymentRecord,
  image: string,
  pin: StagePin,
): Promise<DeployOutcome> {
  const reason = truncate(`stage ${record.stage} is pinned by ${pin.by}: ${pin.reason}`, 1000);
  if (record.state === DeploymentState.held) return { kind: "held", reason };
  const done = await deps.ledger.transition(key(record), {
    from: [DeploymentState.queued, DeploymentState.building],
    to: DeploymentState.held,
    at: deps.now(),
    fields: { imageDigest: image, reason },
  });
  if (done.kind !== "applied") return { kind: "duplicate", state: stateAfter(done, record) };
  await reportState(deps, done.record, {
    state: "inactive",
    description: `Held: ${pin.reason}`,
    logUrl: record.logUrl,
  });
  return { kind: "held", reason };
}

function stateAfter(
  outcome: Exclude<TransitionOutcome, { kind: "applied" }>,
  record: DeploymentRecord,
): DeploymentState {
  return outcome.kind === "conflict" ? (outcome.current?.state ?? record.state) : record.state;
}

/** Stores when the patch reached the cluster, for the trace; a failure only loses that time. */
async function notePatched(deps: DeployDeps, record: DeploymentRecord): Promise<void> {
  const at = deps.now();
  try {
    await deps.ledger.annotate(key(record), { patchedAt: at.toISOString() }, at);
  } catch (error) {
    deps.log.warn("could not store the patch time", { error: describeError(error) });
  }
}

async function restoreAfterRefusal(
  deps: DeployDeps,
  record: DeploymentRecord,
  own: OwnImage,
  reason: string,
): Promise<RestoreOutcome[]> {
  const outcomes = await Promise.allSettled(
    deps.target.deployments.map((t) => restoreImages(deps, [t], own, reason)),
  );
  return outcomes.flatMap((o, i) => {
    if (o.status === "fulfilled") return o.value;
    const target = deps.target.deployments[i];
    deps.log.warn("could not restore after a refused patch", {
      sequence: record.sequence,
      target: target?.name,
      error: describeError(o.reason),
    });
    return [
      { kind: "untouched" as const, target: target?.name ?? "?", why: describeError(o.reason) },
    ];
  });
}

/** The annotations of this deployment, written with the image (rule 4). */
function deployAnnotations(record: DeploymentRecord): Record<string, string> {
  return {
    [DeployAnnotation.commit]: record.commit,
    [DeployAnnotation.buildId]: record.buildId,
    [DeployAnnotation.deliveryId]: record.deliveryId,
    [DeployAnnotation.changeCause]: truncate(
      `slipway #${record.sequence}: ${short(record.commit)} ${record.commitTitle}`.trim(),
      250,
    ),
  };
}

const key = (record: DeploymentRecord) => ({ stage: record.stage, sequence: record.sequence });
const short = (commit: string) => commit.slice(0, 7);
