import { type ApplyImageDeps, compareAndSet } from "../deploy/apply-image.ts";
import { awaitRollouts, type RolloutProgress } from "../deploy/rollout-progress.ts";
import { DeployAnnotation, guardSequence } from "../model/deploy-annotations.ts";
import type { OperatedStage } from "../model/deploy-target.ts";
import type { DeploymentRecord } from "../model/deployment-record.ts";
import { DeploymentState } from "../model/deployment-state.ts";
import { describeError } from "../model/describe-error.ts";
import type { WorkloadTarget } from "../model/stage-config.ts";
import { truncate } from "../model/truncate.ts";
import type { DiagnosticLog } from "../ports/diagnostic-log.ts";
import type { Ledger } from "../ports/ledger.ts";
import { retryTransient, transientRetryPolicy } from "../ports/retry.ts";
import type { WorkloadState } from "../ports/workloads.ts";

export type RollbackDeps = ApplyImageDeps & {
  ledger: Ledger;
  target: OperatedStage;
  rolloutTimeoutMs: number;
  /** When given, the rollback is recorded on the deployment it rolled away from. */
  now?: () => Date;
  log?: DiagnosticLog;
};

/** The image an operator's rollback goes to, and where it was found. */
export type RollbackChoice = {
  image: string;
  source: "ledger" | "replicaset";
  commit?: string;
  sequence?: number;
};

export type RollbackOutcome =
  | { kind: "no-candidate"; reason: string }
  | { kind: "already"; choice: RollbackChoice }
  /** A deploy applied a newer sequence while the rollback ran; the rollback stopped. */
  | { kind: "raced"; sequence: number }
  | { kind: "rolled-back"; choice: RollbackChoice; progress: RolloutProgress };

/**
 * The operator's rollback of a stage: every Deployment goes back to one image, either a named
 * commit's build (`toCommit`, a full or abbreviated SHA) or the newest earlier successful
 * deployment in the ledger, falling back to the previous ReplicaSet. The sequence annotation
 * keeps its high-water mark, so a late older build still cannot deploy afterwards, while the
 * next push (a higher sequence) deploys as usual.
 */
export async function rollbackStage(
  deps: RollbackDeps,
  request: { toCommit?: string; requestedBy?: string },
): Promise<RollbackOutcome> {
  const targets = deps.target.deployments;
  const states = await Promise.all(
    targets.map((t) => retryTransient(deps, transientRetryPolicy, () => deps.workloads.read(t))),
  );
  const choice = await chooseRollback(deps, states, request.toCommit);
  if (choice.kind === "none") return { kind: "no-candidate", reason: choice.reason };
  const to = choice.choice;
  const highWater = Math.max(0, ...states.map((s) => guardSequence(s.annotations)));
  if (states.every((s) => s.image === to.image)) return { kind: "already", choice: to };

  const cause = truncate(
    `slipway rollback to ${to.commit ? to.commit.slice(0, 7) : to.image}` +
      `${to.sequence ? ` (#${to.sequence})` : ""}${request.requestedBy ? ` by ${request.requestedBy}` : ""}`,
    250,
  );
  const raced = await Promise.all(
    targets.map((target) =>
      compareAndSet<number | undefined>(deps, target, (state) => {
        const held = guardSequence(state.annotations);
        if (held > highWater) return { done: held };
        if (state.image === to.image) return { done: undefined };
        return {
          change: {
            image: to.image,
            resourceVersion: state.resourceVersion,
            annotations: {
              ...(highWater > 0 ? { [DeployAnnotation.sequence]: String(highWater) } : {}),
              ...(to.commit ? { [DeployAnnotation.commit]: to.commit } : {}),
              ...(state.image ? { [DeployAnnotation.previousImage]: state.image } : {}),
              [DeployAnnotation.changeCause]: cause,
            },
          },
          applied: () => undefined,
        };
      }),
    ),
  );
  const newer = raced.filter((n): n is number => n !== undefined);
  if (newer.length > 0) return { kind: "raced", sequence: Math.max(...newer) };
  await recordRollback(deps, states[0]?.image, to, request.requestedBy);
  const progress = await awaitRollouts(
    deps,
    targets,
    { sequence: highWater, image: to.image },
    deps.rolloutTimeoutMs,
  );
  return { kind: "rolled-back", choice: to, progress };
}

/**
 * Notes the operator's rollback on the newest deployment that put the replaced image on the
 * cluster, so the ledger's history and trace show it. Losing the note never fails the rollback.
 */
async function recordRollback(
  deps: RollbackDeps,
  replaced: string | undefined,
  to: RollbackChoice,
  by: string | undefined,
): Promise<void> {
  if (deps.now === undefined || replaced === undefined) return;
  const at = deps.now();
  try {
    const history = await deps.ledger.history(deps.target, 200);
    const from = history.find((r) => r.imageDigest === replaced && r.state !== "held");
    if (from === undefined) return;
    await deps.ledger.annotate(
      { stage: from.stage, service: from.service, sequence: from.sequence },
      {
        operatorRollback: {
          at: at.toISOString(),
          by: by ?? "unknown",
          toImage: to.image,
          ...(to.commit ? { toCommit: to.commit } : {}),
          ...(to.sequence ? { toSequence: to.sequence } : {}),
        },
      },
      at,
    );
  } catch (error) {
    deps.log?.warn("could not record the rollback in the ledger", { error: describeError(error) });
  }
}

type Choice = { kind: "chosen"; choice: RollbackChoice } | { kind: "none"; reason: string };

async function chooseRollback(
  deps: RollbackDeps,
  states: readonly WorkloadState[],
  toCommit: string | undefined,
): Promise<Choice> {
  const stage = deps.target.stage;
  if (toCommit !== undefined) {
    const wanted = toCommit.toLowerCase();
    const records =
      wanted.length >= 40
        ? await deps.ledger.byCommit(wanted)
        : await deps.ledger.history(deps.target, 200);
    const built = records
      .filter(
        (r) =>
          r.stage === stage &&
          r.service === deps.target.service &&
          r.imageDigest &&
          r.commit.startsWith(wanted),
      )
      .sort((a, b) => b.sequence - a.sequence);
    if (new Set(built.map((r) => r.commit)).size > 1) {
      return { kind: "none", reason: `${toCommit} names more than one commit; give more of it` };
    }
    const best = built.find((r) => r.state === DeploymentState.succeeded) ?? built[0];
    return best
      ? fromRecord(best)
      : { kind: "none", reason: `no build of ${toCommit} with an image in ${stage}'s ledger` };
  }
  const running = new Set(states.map((s) => s.image));
  const history = await deps.ledger.history(deps.target, 200);
  const previous = history.find(
    (r) => r.state === DeploymentState.succeeded && r.imageDigest && !running.has(r.imageDigest),
  );
  if (previous) return fromRecord(previous);
  // A ReplicaSet only for an image the ledger never judged (one from before Slipway): the
  // previous ReplicaSet is often a build that failed and was rolled back (found by the
  // apiserver-faults drill), and rolling back to it would put the failure back.
  const judged = new Set(history.flatMap((r) => (r.imageDigest ? [r.imageDigest] : [])));
  const first = states[0];
  const image =
    first?.image && (await previousRevisionImage(deps, first.target, first.image, judged));
  return image
    ? { kind: "chosen", choice: { image, source: "replicaset" } }
    : { kind: "none", reason: `no earlier successful deployment or ReplicaSet in ${stage}` };
}

function fromRecord(record: DeploymentRecord): Choice {
  return {
    kind: "chosen",
    choice: {
      image: record.imageDigest as string,
      source: "ledger",
      commit: record.commit,
      sequence: record.sequence,
    },
  };
}

/**
 * The image of the newest earlier ReplicaSet that differs from `current` (kubectl rollout
 * undo), skipping every image in `judged`.
 */
async function previousRevisionImage(
  deps: ApplyImageDeps,
  target: WorkloadTarget,
  current: string,
  judged: ReadonlySet<string>,
): Promise<string | undefined> {
  const revisions = await retryTransient(deps, transientRetryPolicy, () =>
    deps.workloads.revisions(target),
  );
  return revisions.find((r) => r.image !== undefined && r.image !== current && !judged.has(r.image))
    ?.image;
}
