import { DeployAnnotation } from "../model/deploy-annotations.ts";
import type { DeploymentRecord } from "../model/deployment-record.ts";
import { DeploymentState, inFlightStates, rolloutStates } from "../model/deployment-state.ts";
import { describeError } from "../model/describe-error.ts";
import { laneName } from "../model/stage-config.ts";
import { truncate } from "../model/truncate.ts";
import { RefusedError, TransientError } from "../ports/infrastructure-errors.ts";
import type { StagePin } from "../ports/ledger.ts";
import { retryTransient, transientRetryPolicy } from "../ports/retry.ts";
import { owed, payOwedReport, reportState } from "../report/report-state.ts";
import { supersede } from "../report/supersede.ts";
import { applyImage, type OwnImage } from "./apply-image.ts";
import { exportedImage, type FinishedBuild, imageUriVariable } from "./build-event.ts";
import type { DeployDeps, DeployOutcome, FollowOptions } from "./deploy-outcome.ts";
import { key, recordSuperseded, recordVerdict, short, stateAfter } from "./record-verdict.ts";
import { beginRestore, lastSucceededImage, restoreStage, withdrawImage } from "./restore-stage.ts";
import { awaitRollouts, type RolloutProgress } from "./rollout-progress.ts";

/** States in which a newer deployment has put (or is putting) its image on the cluster. */
const onCluster: readonly DeploymentState[] = [
  DeploymentState.deploying,
  DeploymentState.rollingBack,
  DeploymentState.succeeded,
  DeploymentState.rolledBack,
  DeploymentState.replaced,
];

/**
 * Turns one finished build into its deployment outcome: a failed build is recorded and
 * reported; a successful one is rolled out by digest to every Deployment of the stage unless
 * a newer build got there first, followed to its verdict, and rolled back if it fails.
 * Idempotent: an event for a deployment already concluded changes nothing, and a retry of one
 * still `deploying` resumes it.
 */
export async function deployBuild(deps: DeployDeps, build: FinishedBuild): Promise<DeployOutcome> {
  if (build.stage !== deps.target.stage || build.service !== deps.target.service) {
    return {
      kind: "ignored",
      reason: `build is for ${laneName(build)}, not ${laneName(deps.target)}`,
    };
  }
  // The build event names its project; only the service's own project deploys the service.
  const project = build.buildId.split(":", 1)[0];
  if (deps.target.codebuildProject !== undefined && project !== deps.target.codebuildProject) {
    return {
      kind: "ignored",
      reason: `build of project ${project} claims ${laneName(build)}, whose project is ${deps.target.codebuildProject}`,
    };
  }
  // Reads are retried like Kubernetes calls (a throttled DynamoDB is TransientError too);
  // writes are not: a compare-and-set that timed out may have applied, and its retry would
  // read as a lost race. Lambda's retry of the whole event resumes those safely.
  const record = await retryTransient(deps, transientRetryPolicy, () =>
    deps.ledger.get({ stage: build.stage, service: build.service, sequence: build.sequence }),
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
  if (!inFlightStates.includes(record.state) && !rolloutStates.includes(record.state)) {
    // A run killed between its verdict and its report left the report owed: pay it.
    await payOwedReport(deps, record);
    return { kind: "duplicate", state: record.state };
  }
  if (build.status !== "succeeded") return failBuild(deps, record, build.status);
  const image = record.imageDigest ?? build.image ?? (await lookUpImage(deps, record));
  if (image === undefined) {
    // Nothing can deploy it: fail the record (an alert) rather than leave it building.
    const reason = `build succeeded without ${imageUriVariable} (repo@sha256:…) in its exported variables`;
    return recordVerdict(deps, record, inFlightStates, DeploymentState.failed, reason);
  }
  // Only the stage's own registry deploys, whatever a build (or a forged event) exported.
  const foreign = foreignImage(image, deps.target.imageRepository);
  if (foreign !== undefined) {
    return recordVerdict(deps, record, inFlightStates, DeploymentState.failed, foreign);
  }
  // And only a digest that registry holds: checked before the first patch (a resumed run's
  // image was checked by the run that moved it to deploying).
  if (inFlightStates.includes(record.state)) {
    const missing = await missingImage(deps, image);
    if (missing !== undefined) {
      deps.log.warn("refused an image the stage's registry does not hold", {
        stage: record.stage,
        sequence: record.sequence,
        image,
      });
      return recordVerdict(deps, record, inFlightStates, DeploymentState.failed, missing);
    }
  }

  if (record.state === DeploymentState.deploying) {
    return rollOut(deps, record, ownImage(record, image), {});
  }
  // A retry of a run that decided to roll back: finish that restore, nothing else.
  if (record.state === DeploymentState.rollingBack) return restoreStage(deps, record);

  const history = await retryTransient(deps, transientRetryPolicy, () =>
    deps.ledger.history(record, 50),
  );
  const newer = newerOnCluster(history, record);
  if (newer !== undefined) return recordSuperseded(deps, record, newer, inFlightStates);
  const previousDigest = lastSucceededImage(history, record);
  // The pin is checked in the same atomic write as the move to deploying (see Ledger.pin).
  const started = await deps.ledger.transition(key(record), {
    from: inFlightStates,
    to: DeploymentState.deploying,
    at: deps.now(),
    fields: {
      ...owed,
      imageDigest: image,
      ...(previousDigest ? { previousDigest } : {}),
    },
    unlessPinned: true,
  });
  if (started.kind === "pinned") {
    const held = await hold(deps, record, image, started.pin);
    // The pin may have been lifted while this run recorded the hold (found by the
    // simulation): try again through the same atomic pin check, so a build held after the
    // unpin is not held for ever. A hold recorded earlier returns at once.
    return held.kind === "held" && record.state !== DeploymentState.held
      ? deployBuild(deps, build)
      : held;
  }
  if (started.kind === "conflict") {
    // Another run of the same event won the transition; it reports, this one only resumes.
    const current = started.current;
    if (current?.state === DeploymentState.deploying) {
      return rollOut(deps, current, ownImage(current, image), {});
    }
    if (current?.state === DeploymentState.rollingBack) return restoreStage(deps, current);
    return { kind: "duplicate", state: current?.state ?? record.state };
  }
  const reported = Promise.all([
    reportState(deps, started.record, {
      state: "in_progress",
      description: `Deploying #${record.sequence} (${short(record.commit)}) to ${record.stage}`,
      logUrl: record.logUrl,
    }),
    supersedeHeldBefore(deps, started.record),
  ]);
  return rollOut(
    deps,
    started.record,
    { sequence: record.sequence, image: image },
    { reported, expectedHighWater: newestPatched(history, record) },
  );
}

/**
 * The newest older build the ledger saw reach the cluster (`patchedAt`): the high-water label
 * the Deployments should carry, if nothing else wrote them since. Only a guess, checked by the
 * API server in the patch itself (see applyImage); undefined before any build patched.
 */
function newestPatched(
  history: readonly DeploymentRecord[],
  record: DeploymentRecord,
): number | undefined {
  const patched = history.filter((r) => r.sequence < record.sequence && r.patchedAt);
  return patched.length > 0 ? Math.max(...patched.map((r) => r.sequence)) : undefined;
}

/** The image of a successful build whose event lacked it, from CodeBuild itself. */
async function lookUpImage(
  deps: DeployDeps,
  record: DeploymentRecord,
): Promise<string | undefined> {
  if (deps.builds === undefined) return undefined;
  const builds = deps.builds;
  const variables = await retryTransient(deps, transientRetryPolicy, () =>
    builds.exportedVariables(record.buildId),
  );
  return exportedImage(variables);
}

const ownImage = (record: DeploymentRecord, image: string): OwnImage => ({
  sequence: record.sequence,
  image: record.imageDigest ?? image,
});

/**
 * Patches every Deployment (idempotently: a Deployment already at this image is left alone),
 * follows the rollout within `deps.rolloutTimeoutMs`, and concludes it. `reported` is the
 * in_progress report, sent alongside the patch so that GitHub's latency never delays it,
 * and awaited before the final report so that GitHub sees the states in order. No run (the
 * first, a retry, the re-check) patches a Deployment this build already reached.
 */
export async function rollOut(
  deps: DeployDeps,
  record: DeploymentRecord,
  own: OwnImage,
  options: FollowOptions & { reported?: Promise<unknown>; expectedHighWater?: number },
): Promise<DeployOutcome> {
  const progress = await followRollout(deps, record, own, options.expectedHighWater);
  await options.reported;
  const bounded =
    progress.kind === "progressing" && options.expired
      ? {
          kind: "failed" as const,
          reason: `the rollout did not complete in time (${progress.pending.join("; ")})`,
        }
      : progress;
  return conclude(deps, record, own, bounded, options);
}

async function followRollout(
  deps: DeployDeps,
  record: DeploymentRecord,
  own: OwnImage,
  expectedHighWater: number | undefined,
): Promise<RolloutProgress> {
  const targets = deps.target.deployments;
  const annotations = deployAnnotations(record);
  const patchedBefore = record.patchedAt !== undefined;
  // Settle every patch before judging: restoring while a sibling patch is still in flight
  // would miss it and leave that Deployment on the new image.
  const settled = await Promise.allSettled(
    targets.map((t) =>
      applyImage(deps, t, own, annotations, {
        patchedBefore,
        ...(expectedHighWater === undefined ? {} : { expectedHighWater }),
      }),
    ),
  );
  const errors = settled.flatMap((s) => (s.status === "rejected" ? [s.reason] : []));
  const unexpected = errors.find((e) => !(e instanceof RefusedError));
  if (unexpected !== undefined) throw unexpected;
  // Kubernetes will not take this patch (a missing Deployment, a forbidden namespace): a
  // retry cannot help, so undo what did land and report.
  if (errors.length > 0) return { kind: "failed", reason: errors.map(describeError).join("; ") };
  const applied = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  if (applied.some((a) => a.kind === "applied" && a.patched)) await notePatched(deps, record);
  const newer = applied.flatMap((a) => (a.kind === "newer" ? [a.sequence] : []));
  if (newer.length > 0) return { kind: "superseded", by: Math.max(...newer) };
  const moved = applied.flatMap((a) => (a.kind === "moved" ? [a.why] : []));
  if (moved.length > 0) return { kind: "replaced", reason: moved.join("; ") };
  return awaitRollouts(deps, targets, own, deps.rolloutTimeoutMs);
}

/**
 * Records and reports a rollout's progress once it is decided; `progressing` leaves the
 * deployment `deploying` for the re-check, and a failure is rolled back (durably, see
 * beginRestore). A lost compare-and-set means another run concluded it first, so this one
 * reports nothing.
 */
export async function conclude(
  deps: DeployDeps,
  record: DeploymentRecord,
  own: OwnImage,
  progress: RolloutProgress,
  options: FollowOptions = {},
): Promise<DeployOutcome> {
  const from = [DeploymentState.deploying];
  switch (progress.kind) {
    case "progressing":
      deps.log.info("rollout outlived this run; the re-check will conclude it", {
        stage: record.stage,
        sequence: record.sequence,
        pending: progress.pending,
      });
      return { kind: "rolling", pending: progress.pending };
    case "superseded":
      // A newer build holds some Deployment: this one's image must not stay on the others.
      await withdrawImage(deps, record, own, progress.by);
      return recordSuperseded(deps, record, progress.by, [...inFlightStates, ...from]);
    case "replaced":
      return recordVerdict(deps, record, from, DeploymentState.replaced, progress.reason);
    case "failed":
      return beginRestore(deps, record, progress.reason, options);
    case "complete": {
      const done = await deps.ledger.transition(key(record), {
        from,
        to: DeploymentState.succeeded,
        at: deps.now(),
        fields: owed,
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
    fields: { ...owed, reason: `build ${status}` },
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
export function foreignImage(image: string, repository: string): string | undefined {
  if (
    /^@sha256:[0-9a-f]{64}$/.test(image.slice(repository.length)) &&
    image.startsWith(repository)
  ) {
    return undefined;
  }
  return `image ${image} is not ${repository}@sha256:…, the stage's own registry`;
}

/**
 * Why an image of the stage's registry may still not roll out: the registry holds no such
 * digest (a forged event, or an image deleted since it was built). A registry that cannot
 * answer throws, so Lambda retries the event instead of failing the build.
 */
async function missingImage(deps: DeployDeps, image: string): Promise<string | undefined> {
  const repository = deps.target.imageRepository;
  const digest = image.slice(repository.length + 1);
  const holds = await retryTransient(deps, transientRetryPolicy, () =>
    deps.registry.holds({ repository, digest }),
  );
  return holds ? undefined : `image ${image} is not in ${repository}: no image has that digest`;
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
  if (record.state === DeploymentState.held) {
    await payOwedReport(deps, record);
    return { kind: "held", reason };
  }
  const done = await deps.ledger.transition(key(record), {
    from: [DeploymentState.queued, DeploymentState.building],
    to: DeploymentState.held,
    at: deps.now(),
    fields: { ...owed, imageDigest: image, reason },
  });
  if (done.kind !== "applied") return { kind: "duplicate", state: stateAfter(done, record) };
  await reportState(deps, done.record, {
    state: "inactive",
    description: `Held: ${pin.reason}`,
    logUrl: record.logUrl,
  });
  return { kind: "held", reason };
}

/**
 * A build reaching the cluster supersedes every older held one: their events came already,
 * so nothing else would ever conclude them. Never throws; a failure only leaves them held
 * until the next push supersedes them.
 */
async function supersedeHeldBefore(deps: DeployDeps, record: DeploymentRecord): Promise<void> {
  try {
    const held = (await deps.ledger.inFlight(record)).filter(
      (r) => r.state === DeploymentState.held && r.sequence < record.sequence,
    );
    for (const older of held) {
      await supersede(deps, older, record.sequence, [DeploymentState.held]);
    }
  } catch (error) {
    deps.log.warn("could not supersede older held builds", { error: describeError(error) });
  }
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
