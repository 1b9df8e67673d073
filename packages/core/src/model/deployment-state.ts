/**
 * A deployment's lifecycle. `held` means the build finished but its rollout waits (an older
 * rollout is still running or the stage is paused); the deploy function decides when it moves.
 */
export const DeploymentState = {
  queued: "queued",
  building: "building",
  held: "held",
  deploying: "deploying",
  succeeded: "succeeded",
  failed: "failed",
  superseded: "superseded",
  rolledBack: "rolled_back",
} as const;
export type DeploymentState = (typeof DeploymentState)[keyof typeof DeploymentState];

const s = DeploymentState;

/** Every allowed move; terminal states allow none. Build events can skip `building`. */
export const allowedTransitions: Readonly<Record<DeploymentState, readonly DeploymentState[]>> = {
  queued: [s.building, s.held, s.deploying, s.failed, s.superseded],
  building: [s.held, s.deploying, s.failed, s.superseded],
  held: [s.deploying, s.failed, s.superseded],
  deploying: [s.succeeded, s.failed, s.rolledBack, s.superseded],
  succeeded: [],
  failed: [],
  superseded: [],
  rolled_back: [],
};

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
