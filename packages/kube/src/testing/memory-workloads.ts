import type {
  ImageChange,
  WorkloadRevision,
  WorkloadState,
  Workloads,
  WorkloadTarget,
} from "@slipway/core";
import { ConflictError, DeployAnnotation, RefusedError, workloadName } from "@slipway/core";

/** How a rollout to an image ends in the double, as the deployment controller would report it. */
export type RolloutBehaviour = "complete" | "deadline-exceeded" | "pending";

export type MemoryWorkloads = Workloads & {
  /** Creates a Deployment whose rollout of `image` is complete. */
  add(
    target: WorkloadTarget,
    image: string,
    annotations?: Record<string, string>,
    highWater?: number,
  ): void;
  /** The stored state (a copy). */
  state(target: WorkloadTarget): WorkloadState;
  /** Decides how each new rollout ends; every rollout completes by default. */
  rolloutOf: (image: string) => RolloutBehaviour;
  /** Every accepted setImage, in order. */
  patches: Array<{ target: string; change: ImageChange }>;
  /** Makes the next `times` calls of `operation` fail with `error` (a 409, 429, 5xx stand-in). */
  failNext(operation: "read" | "setImage" | "revisions", error: Error, times?: number): void;
  /** Settles every Deployment's current rollout again by `rolloutOf` (time passing, in effect). */
  reconcile(): Promise<void>;
  /** Drops every failure still queued by failNext. */
  heal(): void;
  /**
   * Whether setImage would apply `change` now: its resourceVersion or high-water still holds
   * (what the API server checks; a failed one is a ConflictError, not a write).
   */
  holds(target: WorkloadTarget, change: ImageChange): boolean;
  /** Runs `change` just before the next setImage of `target` is applied (to stage a race). */
  beforeNextPatch(target: WorkloadTarget, change: () => void): void;
  /**
   * Whether a change starts its rollout settling on the next tick by `rolloutOf` (default), or
   * waits for `settle` (a simulation decides when each rollout ends).
   */
  settling: "auto" | "manual";
  /** Ends the current rollout of `target` as `behaviour` says, now (with `settling: "manual"`). */
  settle(target: WorkloadTarget, behaviour: RolloutBehaviour): void;
  /** `kubectl set image`: a new image by hand, annotations kept. */
  setImageByHand(target: WorkloadTarget, image: string): void;
  /**
   * `kubectl rollout undo`: the previous revision's template (image) and its annotations are
   * copied back onto the Deployment, which lowers Slipway's sequence guard to that revision's;
   * labels (the high-water) are left as they are. Returns false when there is no previous
   * revision.
   */
  undo(target: WorkloadTarget): boolean;
  /** `kubectl rollout pause` / `resume`: a paused Deployment's rollout makes no progress. */
  setPaused(target: WorkloadTarget, paused: boolean): void;
  /** `kubectl scale`: a new replica count, a new generation to observe. */
  scale(target: WorkloadTarget, replicas: number): void;
};

type Stored = {
  target: WorkloadTarget;
  image: string | undefined;
  annotations: Record<string, string>;
  highWater: number;
  resourceVersion: number;
  generation: number;
  observedGeneration: number;
  replicas: number;
  updated: number;
  available: number;
  deadlineExceeded: boolean;
  paused: boolean;
  revisions: WorkloadRevision[];
};

/**
 * Kubernetes Deployments in memory, for unit tests: resourceVersion preconditions (409 as
 * ConflictError), annotations, ReplicaSet revisions, and a controller that settles each
 * rollout on the next tick as `rolloutOf` says. Watches see every change.
 */
export function createMemoryWorkloads(): MemoryWorkloads {
  const stored = new Map<string, Stored>();
  const listeners = new Set<() => void>();
  const failures = new Map<string, Error[]>();
  const hooks = new Map<string, () => void>();
  let clock = 1;
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  const find = (target: WorkloadTarget) => {
    const found = stored.get(workloadName(target));
    if (found === undefined) {
      throw new RefusedError(`get ${workloadName(target)}`, 404);
    }
    return found;
  };
  const injected = (operation: string) => {
    const queue = failures.get(operation);
    const error = queue?.shift();
    if (error) throw error;
  };
  // The double holds one container per Deployment; asked for another, it has none.
  const view = (s: Stored, asked: WorkloadTarget = s.target): WorkloadState => ({
    target: { ...asked },
    resourceVersion: String(s.resourceVersion),
    image: asked.container === s.target.container ? s.image : undefined,
    annotations: { ...s.annotations },
    highWater: s.highWater,
    snapshot: {
      metadata: { name: s.target.name, generation: s.generation },
      spec: { replicas: s.replicas, ...(s.paused ? { paused: true } : {}) },
      status: {
        observedGeneration: s.observedGeneration,
        replicas: s.replicas + (s.updated < s.replicas ? 1 : 0),
        updatedReplicas: s.updated,
        availableReplicas: s.available,
        conditions: s.deadlineExceeded
          ? [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" }]
          : [{ type: "Progressing", status: "True", reason: "NewReplicaSetAvailable" }],
      },
    },
  });
  const settleNow = (s: Stored, behaviour: RolloutBehaviour) => {
    // The controller observes every spec (a paused one too) but rolls nothing out while paused.
    s.observedGeneration = s.generation;
    if (!s.paused) {
      s.updated = behaviour === "complete" ? s.replicas : 0;
      s.available = behaviour === "complete" ? s.replicas : s.available;
      s.deadlineExceeded = behaviour === "deadline-exceeded";
    }
    s.resourceVersion = clock++;
    notify();
  };
  const settle = (s: Stored, generation: number) =>
    new Promise<void>((resolve) =>
      setTimeout(() => {
        resolve();
        if (s.generation !== generation) return;
        settleNow(s, s.image === undefined ? "complete" : double.rolloutOf(s.image));
      }, 0),
    );
  // The guarded form is a JSON patch the API server tests on the object it writes: the label,
  // and the container's name where it expects it (a missing one fails the test, no 422).
  const preconditionHolds = (s: Stored, target: WorkloadTarget, change: ImageChange) =>
    "whileHighWater" in change
      ? target.container === s.target.container &&
        s.image !== undefined &&
        s.highWater > 0 &&
        s.highWater === change.whileHighWater
      : String(s.resourceVersion) === change.resourceVersion;
  /** A new pod template: a new generation and revision, rolled out from scratch. */
  const newTemplate = (s: Stored, image: string | undefined) => {
    s.image = image;
    s.generation += 1;
    s.updated = 0;
    s.deadlineExceeded = false;
    s.resourceVersion = clock++;
    const revision = (s.revisions[0]?.revision ?? 0) + 1;
    s.revisions.unshift({
      name: `${s.target.name}-${revision}`,
      revision,
      image,
      annotations: { ...s.annotations },
    });
    if (double.settling === "auto") void settle(s, s.generation);
  };

  const double: MemoryWorkloads = {
    patches: [],
    rolloutOf: () => "complete",
    add(target, image, annotations = {}, highWater = 0) {
      stored.set(workloadName(target), {
        target: { ...target },
        image,
        annotations: { ...annotations },
        highWater,
        resourceVersion: clock++,
        generation: 1,
        observedGeneration: 1,
        replicas: 2,
        updated: 2,
        available: 2,
        deadlineExceeded: false,
        paused: false,
        revisions: [
          { name: `${target.name}-1`, revision: 1, image, annotations: { ...annotations } },
        ],
      });
    },
    state(target) {
      return view(find(target), target);
    },
    failNext(operation, error, times = 1) {
      failures.set(operation, [...(failures.get(operation) ?? []), ...Array(times).fill(error)]);
    },
    async reconcile() {
      await Promise.all([...stored.values()].map((s) => settle(s, s.generation)));
    },
    heal() {
      failures.clear();
    },
    holds(target, change) {
      return preconditionHolds(find(target), target, change);
    },
    beforeNextPatch(target, change) {
      hooks.set(workloadName(target), change);
    },
    settling: "auto",
    settle(target, behaviour) {
      settleNow(find(target), behaviour);
    },
    setImageByHand(target, image) {
      const s = find(target);
      if (s.image === image) return;
      newTemplate(s, image);
      notify();
    },
    undo(target) {
      const s = find(target);
      // kubectl's "previous revision": the newest one whose template differs from the current.
      const previous = s.revisions.find((r, i) => i > 0 && r.image !== s.image);
      if (previous === undefined) return false;
      s.annotations = { ...previous.annotations };
      s.revisions = s.revisions.filter((r) => r !== previous);
      newTemplate(s, previous.image);
      notify();
      return true;
    },
    setPaused(target, paused) {
      const s = find(target);
      s.paused = paused;
      s.generation += 1;
      s.resourceVersion = clock++;
      if (double.settling === "auto") void settle(s, s.generation);
      notify();
    },
    scale(target, replicas) {
      const s = find(target);
      s.replicas = replicas;
      s.updated = Math.min(s.updated, replicas);
      s.available = Math.min(s.available, replicas);
      s.generation += 1;
      s.resourceVersion = clock++;
      if (double.settling === "auto") void settle(s, s.generation);
      notify();
    },
    async read(target) {
      injected("read");
      return view(find(target), target);
    },
    async setImage(target, change) {
      injected("setImage");
      const hook = hooks.get(workloadName(target));
      hooks.delete(workloadName(target));
      hook?.();
      const s = find(target);
      const guarded = "whileHighWater" in change;
      if (!guarded && target.container !== s.target.container) {
        throw new Error(`a strategic merge patch would add container ${target.container}`);
      }
      if (!preconditionHolds(s, target, change)) {
        throw new ConflictError(
          `patch ${workloadName(target)}${guarded ? ": not at that high-water" : ""}`,
        );
      }
      const replaced = s.image;
      double.patches.push({ target: workloadName(target), change });
      if (guarded && replaced !== undefined) {
        s.annotations[DeployAnnotation.previousImage] = replaced;
      }
      Object.assign(s.annotations, change.annotations);
      if (change.highWater !== undefined) s.highWater = Math.max(s.highWater, change.highWater);
      s.resourceVersion = clock++;
      if (s.image !== change.image) newTemplate(s, change.image);
      notify();
      return view(s, target);
    },
    async revisions(target) {
      injected("revisions");
      return structuredClone(find(target).revisions);
    },
    async *watch(target, signal) {
      let changed = true;
      let wake: () => void = () => {};
      const listener = () => {
        changed = true;
        wake();
      };
      listeners.add(listener);
      const onAbort = () => wake();
      signal.addEventListener("abort", onAbort);
      try {
        while (!signal.aborted) {
          if (changed) {
            changed = false;
            yield view(find(target), target);
            continue;
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      } finally {
        listeners.delete(listener);
        signal.removeEventListener("abort", onAbort);
      }
    },
  };
  return double;
}
