/**
 * A deployment's lifecycle. `held` means the build finished but its rollout waits (an older
 * rollout is still running or the stage is paused); the deploy function decides when it moves.
 * `rolling_back` is the durable decision to restore, written before any restore patch, so a
 * run that dies mid-restore is resumed by its retry or the re-check. `replaced` means an
 * operator changed the Deployment by hand during the rollout (set image, rollout undo, pause):
 * Slipway stops there and never patches back.
 */
export const DeploymentState = {
  queued: "queued",
  building: "building",
  held: "held",
  deploying: "deploying",
  succeeded: "succeeded",
  failed: "failed",
  superseded: "superseded",
  rollingBack: "rolling_back",
  rolledBack: "rolled_back",
  replaced: "replaced",
} as const;
export type DeploymentState = (typeof DeploymentState)[keyof typeof DeploymentState];

const s = DeploymentState;

/** Every allowed move; terminal states allow none. Build events can skip `building`. */
export const allowedTransitions: Readonly<Record<DeploymentState, readonly DeploymentState[]>> = {
  queued: [s.building, s.held, s.deploying, s.failed, s.superseded],
  building: [s.held, s.deploying, s.failed, s.superseded],
  held: [s.deploying, s.failed, s.superseded],
  deploying: [s.succeeded, s.failed, s.rollingBack, s.superseded, s.replaced],
  rolling_back: [s.rolledBack, s.failed, s.superseded, s.replaced],
  succeeded: [],
  failed: [],
  superseded: [],
  rolled_back: [],
  replaced: [],
};

/** States in which a deployment's image is (or is being put) on the cluster and still followed. */
export const rolloutStates: readonly DeploymentState[] = [s.deploying, s.rollingBack];

/** States in which a build may still be running, so a newer push supersedes them. */
export const inFlightStates: readonly DeploymentState[] = [s.queued, s.building, s.held];

/** Whether a deployment may move from `from` to `to`. */
export function canTransition(from: DeploymentState, to: DeploymentState): boolean {
  return allowedTransitions[from].includes(to);
}

/** Thrown before any I/O when code asks the ledger for a move the lifecycle forbids. */
export class InvalidTransitionError extends Error {
  override readonly name = "InvalidTransitionError";
  constructor(from: readonly DeploymentState[], to: DeploymentState) {
    super(`no deployment may move from ${from.join("|") || "(nothing)"} to ${to}`);
  }
}

/** Throws InvalidTransitionError unless every state in `from` may move to `to`. */
export function assertTransition(from: readonly DeploymentState[], to: DeploymentState): void {
  if (from.length === 0 || !from.every((state) => canTransition(state, to))) {
    throw new InvalidTransitionError(from, to);
  }
}
