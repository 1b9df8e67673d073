import { createMemoryRegistry } from "@slipway/aws/testing";
import {
  DeployAnnotation,
  type DeploymentRecord,
  DeploymentState,
  type DeployTarget,
  deployBuild,
  type GitHubReporter,
  guardSequence,
  type ImageChange,
  type Ledger,
  pinStage,
  type RecheckDeps,
  RefusedError,
  recheckRollouts,
  rollbackStage,
  TransientError,
  unpinStage,
  type Workloads,
  type WorkloadTarget,
} from "@slipway/core";
import { createFakeGitHub, type FakeGitHub } from "@slipway/github/testing";
import { createMemoryWorkloads, type MemoryWorkloads } from "@slipway/kube/testing";
import {
  createMemoryLedger,
  digestImage,
  finishedBuildOf,
  type MemoryLedger,
  seedDeployment,
} from "@slipway/ledger/testing";

/**
 * One Slipway stage in memory, run by a deterministic scheduler: every call a handler makes to
 * the ledger, Kubernetes or GitHub waits at a gate until the simulation releases it, so the
 * order of every actor's steps is chosen by the generated commands, never by timing. Time is a
 * virtual clock; the rollout wait's bound is a gate too. Nothing here uses a real timer.
 */

export const server: WorkloadTarget = {
  namespace: "chat",
  name: "chat-server",
  container: "server",
};
export const web: WorkloadTarget = { namespace: "chat", name: "chat-web", container: "web" };
export const targets = [server, web] as const;
/**
 * A second service of the same stage, in the same ledger, cluster and GitHub: a bystander.
 * Every run drives the chat only, so at quiescence the greeter's Deployment, records and
 * GitHub statuses must be exactly as they started (one service never touches another's).
 */
export const greeter: WorkloadTarget = {
  namespace: "greeter",
  name: "greeter",
  container: "greeter",
};
const greeterImage = digestImage(0xb001, "registry.example.test/slipway-greeter");

/** Build #1 succeeded before the simulation starts: the stage's first good image. */
const firstImage = digestImage(1);
/** Images an operator sets by hand; never a build's. */
const handImage = (n: number) => digestImage(0xa000 + n);
const buildOfImage = (image: string | undefined): number | undefined => {
  const n = image === undefined ? Number.NaN : Number.parseInt(image.split(":").at(-1) ?? "", 16);
  return Number.isSafeInteger(n) && n >= 1 && n < 0xa000 ? n : undefined;
};

const settleAfterMs = 120_000;
const maxRolloutMs = 30 * 60_000;

export type Fault = "transient" | "refused" | "timeout";
export type FaultedCall =
  | "workloads.read"
  | "workloads.setImage"
  | "workloads.revisions"
  | "ledger.transition"
  | "ledger.history"
  | "github";

/** One actor's act. Numbers pick among what exists (modulo), so every command always applies. */
export type Command =
  /** A build's EventBridge event arrives (again, late, out of order: any number of times). */
  | { kind: "deliver"; build: number }
  /** Releases one waiting call of any running handler: the scheduler's choice. */
  | { kind: "step"; pick: number }
  /** Lets one running handler go on alone until it waits for a rollout, or ends. */
  | { kind: "advance"; pick: number }
  /** A running handler is killed between two steps (Lambda timeout); Lambda retries it later. */
  | { kind: "timeout"; pick: number }
  /** Lambda retries one failed event. */
  | { kind: "retry"; pick: number }
  | { kind: "recheck" }
  | { kind: "tick"; ms: number }
  /** The deployment controller ends a Deployment's current rollout (by its image's quality). */
  | { kind: "settle"; target: number }
  | { kind: "fault"; call: FaultedCall; fault: Fault }
  | { kind: "set-image"; target: number }
  | { kind: "undo"; target: number }
  | { kind: "pause"; target: number; paused: boolean }
  | { kind: "scale"; target: number; replicas: number }
  | { kind: "rollback" }
  | { kind: "pin"; rollback: boolean }
  | { kind: "unpin"; deployLatest: boolean };

/** How each build of the run ends: its status, and whether its image can run. */
export type BuildPlan = {
  sequence: number;
  succeeds: boolean;
  runs: boolean;
  /** False: the image's digest is not in the stage's registry (default: pushed). */
  pushed?: boolean;
};

class LambdaTimeout extends Error {
  override readonly name = "LambdaTimeout";
}

type Gate = { run: Run; release: () => void; fail: (error: Error) => void; timer: boolean };
type Run = {
  id: number;
  /** `operator-keeping-held`: an unpin without deployLatest, which keeps held builds held. */
  kind: "deploy" | "recheck" | "operator" | "operator-keeping-held";
  label: string;
  build?: number;
  aborted: boolean;
  done: boolean;
  promise: Promise<unknown>;
};

/** Who last changed a Deployment's image, as the simulation saw it. */
type Writer =
  | { by: "boot" }
  | { by: "deploy"; sequence: number }
  | { by: "restore"; sequence: number }
  | { by: "operator" }
  | { by: "hand" };

/** Final states and events across every world of a run: shows what the generated runs reached. */
export const tally = new Map<string, number>();
const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);

export class DeployWorld {
  readonly ledger: MemoryLedger = createMemoryLedger();
  readonly workloads: MemoryWorkloads = createMemoryWorkloads();
  readonly github: FakeGitHub = createFakeGitHub();
  /** Holds the first image and every build's image but those planned as not pushed. */
  readonly registry = createMemoryRegistry();
  readonly violations: string[] = [];
  readonly target: DeployTarget = {
    stage: "dev",
    service: "chat",
    deployments: [...targets],
    production: false,
    imageRepository: "registry.example.test/slipway-chat",
  };
  private clock = Date.parse("2026-11-26T10:00:00.000Z");
  private gates: Gate[] = [];
  private runs: Run[] = [];
  private failedEvents: number[] = [];
  private faults = new Map<string, Fault[]>();
  private nextRun = 1;
  private hands = 0;
  private writers = new Map<string, Writer>();
  /** The greeter's ledger lane as seeded, to compare at quiescence. */
  private greeterAtStart = "";
  private handsOff = false;
  /** The last unpin kept held builds held: they are the operator's to release. */
  private keptHeld = false;
  /** `target#sequence` for every build image a deploy patch put on a Deployment. */
  private reached = new Set<string>();
  /** Steps taken, for the report. */
  steps = 0;
  /** What happened, in order: every write to a Deployment and every handler's end. */
  readonly log: string[] = [];

  readonly builds: readonly BuildPlan[];
  constructor(builds: readonly BuildPlan[]) {
    this.builds = builds;
  }

  async start(): Promise<void> {
    this.workloads.settling = "manual";
    for (const t of targets) {
      this.workloads.add(t, firstImage, { [DeployAnnotation.sequence]: "1" });
      this.writers.set(t.name, { by: "boot" });
    }
    const at = new Date(this.clock);
    await seedDeployment(this.ledger, {
      stage: "dev",
      sequence: 1,
      state: "succeeded",
      imageDigest: firstImage,
      now: at,
    });
    this.registry.push(
      firstImage,
      ...this.builds.filter((b) => b.pushed !== false).map((b) => digestImage(b.sequence)),
    );
    for (const build of this.builds) {
      await seedDeployment(this.ledger, { stage: "dev", sequence: build.sequence, now: at });
    }
    // The bystander: the greeter runs its #1, and its #2 (numbered like the chat's) is in flight.
    this.workloads.add(greeter, greeterImage, { [DeployAnnotation.sequence]: "1" });
    for (const sequence of [1, 2]) {
      await seedDeployment(this.ledger, {
        stage: "dev",
        service: "greeter",
        sequence,
        ...(sequence === 1 ? { state: "succeeded" as const, imageDigest: greeterImage } : {}),
        now: at,
      });
    }
    this.greeterAtStart = JSON.stringify(
      await this.ledger.history({ stage: "dev", service: "greeter" }, 10),
    );
    this.workloads.rolloutOf = (image) =>
      this.imageRuns(image) ? "complete" : "deadline-exceeded";
  }

  private imageRuns(image: string): boolean {
    const n = buildOfImage(image);
    return n === undefined || n === 1 || this.builds.find((b) => b.sequence === n)?.runs !== false;
  }

  /** Applies one command, then lets every released handler run to its next gate. */
  async apply(command: Command): Promise<void> {
    this.steps++;
    count("steps");
    const pickTarget = (n: number) => targets[n % targets.length] as WorkloadTarget;
    switch (command.kind) {
      case "deliver":
        this.deliver(this.builds[command.build % this.builds.length]?.sequence ?? 2);
        break;
      case "step":
        this.release(command.pick);
        break;
      case "advance": {
        const live = this.runs.filter((r) => !r.done);
        const run = live[command.pick % Math.max(1, live.length)];
        for (let i = 0; run !== undefined && i < 50; i++) {
          const gate = this.gates.findIndex((g) => g.run === run && !g.timer);
          if (gate < 0) break;
          this.release(gate);
          await flush();
        }
        break;
      }
      case "timeout": {
        const live = this.runs.filter((r) => !r.done && !r.kind.startsWith("operator"));
        const run = live[command.pick % Math.max(1, live.length)];
        if (run) this.abort(run);
        break;
      }
      case "retry": {
        const sequence = this.failedEvents.splice(
          command.pick % Math.max(1, this.failedEvents.length),
          1,
        )[0];
        if (sequence !== undefined) this.deliver(sequence);
        break;
      }
      case "recheck":
        this.spawn("recheck", "recheck", (deps) => recheckRollouts(deps));
        break;
      case "tick":
        this.clock += command.ms;
        break;
      case "settle": {
        const t = pickTarget(command.target);
        const image = this.workloads.state(t).image;
        this.workloads.settle(
          t,
          image && !this.imageRuns(image) ? "deadline-exceeded" : "complete",
        );
        break;
      }
      case "fault":
        this.faults.set(command.call, [...(this.faults.get(command.call) ?? []), command.fault]);
        break;
      case "set-image":
        count("hand set image");
        if (this.handsOff) break;
        this.workloads.setImageByHand(pickTarget(command.target), handImage(++this.hands));
        this.writers.set(pickTarget(command.target).name, { by: "hand" });
        break;
      case "undo":
        if (this.handsOff) break;
        if (this.workloads.undo(pickTarget(command.target))) {
          count("hand undo");
          this.writers.set(pickTarget(command.target).name, { by: "hand" });
        }
        break;
      case "pause":
        if (this.handsOff) break;
        this.workloads.setPaused(pickTarget(command.target), command.paused);
        break;
      case "scale":
        if (this.handsOff) break;
        this.workloads.scale(pickTarget(command.target), command.replicas);
        break;
      case "rollback":
        this.spawn("operator", "rollback", (deps) => rollbackStage(deps, { requestedBy: "ops" }));
        break;
      case "pin":
        this.spawn("operator", `pin${command.rollback ? "+rollback" : ""}`, (deps) =>
          pinStage(deps, {
            reason: "incident",
            by: "ops",
            ...(command.rollback ? { rollback: {} } : {}),
          }),
        );
        break;
      case "unpin":
        this.spawn(command.deployLatest ? "operator" : "operator-keeping-held", "unpin", (deps) =>
          unpinStage(deps, { deployLatest: command.deployLatest }),
        );
        break;
    }
    await flush();
    this.checkAlways();
  }

  /**
   * Quiescence: hand edits stop and faults heal; every waiting call is released, every failed
   * event redelivered (Lambda's retries, then the DLQ redriven), the stage unpinned, every
   * rollout settled by the controller and the re-check run, until nothing is left to do.
   */
  async drain(): Promise<void> {
    this.handsOff = true;
    this.faults.clear();
    for (let round = 0; round < 40; round++) {
      while (this.gates.length > 0) {
        this.release(0);
        await flush();
      }
      const open = (await this.ledger.history({ stage: "dev", service: "chat" }, 100)).filter((r) =>
        [DeploymentState.deploying, DeploymentState.rollingBack].includes(r.state as never),
      );
      const undelivered = (
        await this.ledger.history({ stage: "dev", service: "chat" }, 100)
      ).filter((r) => r.state === DeploymentState.queued || r.state === DeploymentState.building);
      const pinned = (await this.ledger.pinOf({ stage: "dev", service: "chat" })) !== undefined;
      const owedReports = (await this.ledger.history({ stage: "dev", service: "chat" }, 100)).some(
        (r) => r.githubReport === "pending" && r.sequence > 1,
      );
      if (
        !owedReports &&
        open.length === 0 &&
        undelivered.length === 0 &&
        this.failedEvents.length === 0 &&
        !pinned &&
        this.runs.every((r) => r.done)
      ) {
        break;
      }
      for (const sequence of this.failedEvents.splice(0)) this.deliver(sequence);
      for (const record of undelivered) this.deliver(record.sequence);
      if (pinned && this.runs.every((r) => r.done)) {
        this.spawn("operator", "unpin", (deps) => unpinStage(deps, { deployLatest: true }));
      }
      await flush();
      while (this.gates.length > 0) {
        this.release(0);
        await flush();
      }
      for (const t of targets) {
        const image = this.workloads.state(t).image;
        this.workloads.settle(
          t,
          image && !this.imageRuns(image) ? "deadline-exceeded" : "complete",
        );
      }
      this.clock += 10 * 60_000;
      const owed = (await this.ledger.history({ stage: "dev", service: "chat" }, 100)).some(
        (r) => r.githubReport === "pending",
      );
      if (open.length > 0 || owed) {
        this.spawn("recheck", "recheck", (deps) => recheckRollouts(deps));
      }
      await flush();
    }
    await this.checkQuiescent();
  }

  private deliver(sequence: number): void {
    const plan = this.builds.find((b) => b.sequence === sequence);
    this.spawn(
      "deploy",
      `deploy #${sequence}`,
      async (deps) => {
        const record = await this.ledger.get({ stage: "dev", service: "chat", sequence });
        if (record === undefined) throw new Error(`no record #${sequence}`);
        return deployBuild(
          deps,
          plan?.succeeds === false
            ? finishedBuildOf(record, { status: "failed", image: undefined })
            : finishedBuildOf(record),
        );
      },
      sequence,
    );
  }

  private spawn(
    kind: Run["kind"],
    label: string,
    body: (deps: RecheckDeps) => Promise<unknown>,
    build?: number,
  ): void {
    const run: Run = {
      id: this.nextRun++,
      kind,
      label,
      aborted: false,
      done: false,
      promise: Promise.resolve(),
      ...(build === undefined ? {} : { build }),
    };
    this.runs.push(run);
    run.promise = body(this.depsFor(run)).then(
      (outcome) => this.finish(run, false, undefined, outcome),
      (error: unknown) => this.finish(run, true, error),
    );
  }

  private finish(run: Run, failed: boolean, error?: unknown, outcome?: unknown): void {
    run.done = true;
    this.log.push(
      `${run.label} ended ${failed ? describe(error).split("\n")[0] : JSON.stringify(outcome)}`,
    );
    // A rollout wait that ended by a watch leaves its timer gate behind: drop it.
    for (const gate of this.gates.filter((g) => g.run === run)) gate.release();
    this.gates = this.gates.filter((g) => g.run !== run);
    const expected =
      error instanceof LambdaTimeout ||
      error instanceof TransientError ||
      error instanceof RefusedError;
    if (failed && !expected) {
      this.violations.push(`${run.label} threw ${describe(error)}`);
    }
    if (failed && run.kind === "deploy" && run.build !== undefined)
      this.failedEvents.push(run.build);
  }

  private release(pick: number): void {
    if (this.gates.length === 0) return;
    const [gate] = this.gates.splice(pick % this.gates.length, 1);
    gate?.release();
  }

  private abort(run: Run): void {
    run.aborted = true;
    for (const gate of this.gates.filter((g) => g.run === run)) {
      if (gate.timer) gate.release();
      else gate.fail(new LambdaTimeout(`${run.label} timed out`));
    }
    this.gates = this.gates.filter((g) => g.run !== run);
  }

  /** Waits at this run's gate; a killed run's every later call fails. */
  private gate(run: Run, timer = false): Promise<void> {
    if (run.aborted) {
      return timer
        ? Promise.resolve()
        : Promise.reject(new LambdaTimeout(`${run.label} timed out`));
    }
    return new Promise<void>((release, fail) => {
      this.gates.push({ run, release, fail, timer });
    });
  }

  private fault(call: FaultedCall, operation: string): void {
    const queue = this.faults.get(call);
    const fault = queue?.shift();
    if (fault === "transient") throw new TransientError(operation);
    if (fault === "refused") throw new RefusedError(operation, 403);
    if (fault === "timeout") throw new TransientError(`${operation} (timed out)`);
  }

  private depsFor(run: Run): RecheckDeps {
    const gated =
      <A extends unknown[], R>(
        call: FaultedCall | undefined,
        name: string,
        fn: (...args: A) => Promise<R>,
      ) =>
      async (...args: A): Promise<R> => {
        await this.gate(run);
        if (call) this.fault(call, name);
        return fn(...args);
      };
    const ledger = this.ledger;
    const gatedLedger: Ledger = {
      claimDelivery: gated(undefined, "claim", ledger.claimDelivery.bind(ledger)),
      claimBody: gated(undefined, "claimBody", ledger.claimBody.bind(ledger)),
      assignSequence: gated(undefined, "assign", ledger.assignSequence.bind(ledger)),
      recordDeployment: gated(undefined, "record", ledger.recordDeployment.bind(ledger)),
      transition: gated("ledger.transition", "transition", ledger.transition.bind(ledger)),
      annotate: gated(undefined, "annotate", ledger.annotate.bind(ledger)),
      get: gated(undefined, "get", ledger.get.bind(ledger)),
      latest: gated(undefined, "latest", ledger.latest.bind(ledger)),
      history: gated("ledger.history", "history", ledger.history.bind(ledger)),
      inFlight: gated(undefined, "inFlight", ledger.inFlight.bind(ledger)),
      byCommit: gated(undefined, "byCommit", ledger.byCommit.bind(ledger)),
      pin: gated(undefined, "pin", async (stage, pin) => {
        const outcome = await ledger.pin(stage, pin);
        this.keptHeld = false;
        return outcome;
      }),
      unpin: gated(undefined, "unpin", async (stage) => {
        const outcome = await ledger.unpin(stage);
        // Without deployLatest the operator keeps what is held held (until the next push).
        this.keptHeld = run.kind === "operator-keeping-held";
        return outcome;
      }),
    };
    const w = this.workloads;
    const workloads: Workloads = {
      read: gated("workloads.read", "read", w.read.bind(w)),
      revisions: gated("workloads.revisions", "revisions", w.revisions.bind(w)),
      setImage: gated("workloads.setImage", "patch", async (t, change) => {
        const before = this.workloads.state(t);
        // A failed precondition is refused with 409 by the double: not a write.
        const precondition =
          "resourceVersion" in change
            ? `rv ${change.resourceVersion}/${before.resourceVersion}`
            : `high-water ${change.whileHighWater}/${before.highWater}`;
        const holds = this.workloads.holds(t, change);
        if ("whileHighWater" in change) count(holds ? "guarded patches" : "guarded refused");
        if (!holds) return w.setImage(t, change);
        this.log.push(
          `${run.label}: ${t.name} ${short(before.image)}@${guardSequence(before.annotations)} -> ${short(change.image)} ${JSON.stringify(change.annotations[DeployAnnotation.sequence] ?? change.annotations[DeployAnnotation.changeCause])} ${precondition}`,
        );
        if ("whileHighWater" in change) await this.checkGuardedPatch(t, change);
        this.beforeWrite(t, change.image, change.annotations);
        const result = await w.setImage(t, change);
        this.afterWrite(t, change.annotations);
        return result;
      }),
      watch: (t, signal) => w.watch(t, signal),
    };
    const gh = this.github;
    const github: GitHubReporter = {
      createDeployment: gated("github", "createDeployment", gh.createDeployment.bind(gh)),
      setDeploymentStatus: gated("github", "setDeploymentStatus", gh.setDeploymentStatus.bind(gh)),
      setCommitStatus: gated("github", "setCommitStatus", gh.setCommitStatus.bind(gh)),
    };
    return {
      ledger: gatedLedger,
      workloads,
      github,
      // Every build image is pushed; the registry rule has its own tests.
      registry: this.registry,
      target: this.target,
      log: { info: () => {}, warn: () => {} },
      now: () => new Date(this.clock),
      sleep: async () => {},
      random: () => 0.5,
      after: () => this.gate(run, true),
      rolloutTimeoutMs: 60_000,
      settleAfterMs,
      maxRolloutMs,
    };
  }

  /**
   * The unread patch's promise, checked on every one that applies: the reading path would
   * have patched too. Judged from the annotations and ReplicaSets alone (what the reading
   * path decided from before the label existed), so a label that could go down shows here
   * even when nothing else notices.
   */
  private async checkGuardedPatch(t: WorkloadTarget, change: ImageChange): Promise<void> {
    const own = Number(change.annotations[DeployAnnotation.sequence]);
    const held = guardSequence(this.workloads.state(t).annotations);
    const revisions = await this.workloads.revisions(t);
    const highest = Math.max(held, ...revisions.map((r) => guardSequence(r.annotations)));
    const reached = revisions.some(
      (r) => guardSequence(r.annotations) === own && r.image === change.image,
    );
    if (highest >= own || reached) {
      this.violations.push(
        `#${own}'s unread patch of ${t.name} applied where the reading path would not patch (guard ${highest}${reached ? ", reached before" : ""})`,
      );
    }
  }

  /** Invariant 1, checked on every write: a lower build never replaces a higher one. */
  private beforeWrite(
    t: WorkloadTarget,
    image: string,
    annotations: Readonly<Record<string, string>>,
  ): void {
    const current = this.workloads.state(t);
    const running = buildOfImage(current.image);
    const incoming = buildOfImage(image);
    const cause = annotations[DeployAnnotation.changeCause] ?? "";
    if (cause.startsWith("slipway rollback")) return; // the operator's, recorded by rollbackStage
    const restoring = /^slipway #(\d+) rolled back/.exec(cause);
    if (restoring) {
      if (running !== Number(restoring[1])) {
        this.violations.push(
          `restore of #${restoring[1]} on ${t.name} replaced ${current.image} (not its own image)`,
        );
      }
      return;
    }
    if (running !== undefined && incoming !== undefined && incoming < running) {
      this.violations.push(`#${incoming} replaced #${running} on ${t.name}`);
    }
    // Rule 5: a resumed deploy never re-patches; an operator's change stays.
    const writer = this.writers.get(t.name);
    if (
      incoming !== undefined &&
      writer?.by === "hand" &&
      this.reached.has(`${t.name}#${incoming}`)
    ) {
      this.violations.push(`#${incoming} patched ${t.name} again over a hand edit`);
    }
    // Only a digest the stage's registry holds may reach a Deployment.
    if (this.builds.find((b) => b.sequence === incoming)?.pushed === false) {
      this.violations.push(
        `#${incoming} is not in the registry, yet it was patched onto ${t.name}`,
      );
    }
    if (incoming !== undefined) this.reached.add(`${t.name}#${incoming}`);
  }

  private afterWrite(t: WorkloadTarget, annotations: Readonly<Record<string, string>>): void {
    const cause = annotations[DeployAnnotation.changeCause] ?? "";
    const restoring = /^slipway #(\d+) rolled back/.exec(cause);
    if (cause.startsWith("slipway rollback")) this.writers.set(t.name, { by: "operator" });
    else if (restoring) this.writers.set(t.name, { by: "restore", sequence: Number(restoring[1]) });
    else if (annotations[DeployAnnotation.deliveryId] !== undefined) {
      this.writers.set(t.name, {
        by: "deploy",
        sequence: Number(annotations[DeployAnnotation.sequence]),
      });
    }
  }

  /** After every step: the guard never goes down except by an operator's hand. */
  private checkAlways(): void {
    for (const t of targets) {
      const state = this.workloads.state(t);
      if (guardSequence(state.annotations) < 1) this.violations.push(`${t.name} lost its guard`);
    }
  }

  /** Invariants 2–4, once everything has settled. */
  private async checkQuiescent(): Promise<void> {
    const records = await this.ledger.history({ stage: "dev", service: "chat" }, 100);
    for (const r of records) if (r.sequence > 1) count(`ends ${r.state}`);
    for (const line of this.log) {
      if (line.includes("rolled back:")) count("restore patches");
      if (line.includes("LambdaTimeout")) count("runs killed");
    }
    const bad = (message: string) => this.violations.push(message);
    const unfinished = records.filter(
      (r) =>
        !["succeeded", "failed", "superseded", "rolled_back", "replaced"].includes(r.state) &&
        !(r.state === "held" && this.keptHeld),
    );
    for (const r of unfinished) bad(`#${r.sequence} still ${r.state} at quiescence`);
    for (const plan of this.builds.filter((b) => b.pushed === false)) {
      const state = records.find((r) => r.sequence === plan.sequence)?.state;
      if (state !== "failed") bad(`#${plan.sequence} is not in the registry but ended ${state}`);
    }
    if (this.runs.some((r) => !r.done)) bad("a handler never finished");
    const expected = records.find((r) => r.state === "succeeded");
    for (const t of targets) {
      const { image } = this.workloads.state(t);
      const writer = this.writers.get(t.name) ?? { by: "boot" };
      const build = buildOfImage(image);
      const record = records.find((r) => r.sequence === build);
      const context = `${t.name} runs ${build === undefined ? "a hand edit" : `#${build}`} (last written by ${JSON.stringify(writer)}), newest succeeded #${expected?.sequence}`;
      if (writer.by === "hand" || writer.by === "operator") continue;
      if (record?.state === "replaced") continue;
      if (record?.state === "failed" && record.reason?.includes(t.name)) continue;
      if (image !== expected?.imageDigest) bad(`${context}; the ledger says otherwise`);
    }
    // One service never touches another's Deployment, records or GitHub statuses.
    if (this.workloads.state(greeter).image !== greeterImage) {
      bad(`the greeter runs ${this.workloads.state(greeter).image}, not its own #1`);
    }
    const greeterNow = JSON.stringify(
      await this.ledger.history({ stage: "dev", service: "greeter" }, 10),
    );
    if (greeterNow !== this.greeterAtStart) bad(`the greeter's ledger lane changed: ${greeterNow}`);
    const greeterStatuses = this.github.commitStatuses.filter((st) =>
      st.context.endsWith("/greeter"),
    );
    if (greeterStatuses.length > 0)
      bad(`GitHub heard about the greeter: ${greeterStatuses.length}`);
    for (const r of records) {
      if (r.state === "rolled_back") {
        for (const t of targets) {
          const writer = this.writers.get(t.name);
          if (this.workloads.state(t).image === r.imageDigest && writer?.by !== "hand") {
            bad(`#${r.sequence} is rolled_back while ${t.name} runs its image`);
          }
        }
      }
      this.checkGitHub(r);
    }
  }

  /** Invariant 4: what GitHub shows last for the push is what the ledger says. */
  private checkGitHub(record: DeploymentRecord): void {
    if (record.sequence === 1 || record.githubReport !== "reported") return;
    const wanted = githubOf(record);
    if (wanted === undefined) return;
    const status = this.github.deploymentStatuses
      .filter((s) => s.deploymentId === record.githubDeploymentId)
      .at(-1)?.state;
    const commit = this.github.commitStatuses.filter((s) => s.sha === record.commit).at(-1)?.state;
    if (status !== wanted.deployment || commit !== wanted.commit) {
      this.violations.push(
        `#${record.sequence} is ${record.state} but GitHub shows ${status}/${commit}, not ${wanted.deployment}/${wanted.commit}`,
      );
    }
  }

  /** A line per run and gate, for a failing case's report. */
  describe(): string {
    return this.runs.map((r) => `${r.id} ${r.label}${r.done ? "" : " (running)"}`).join(", ");
  }
}

const short = (image: string | undefined) =>
  buildOfImage(image) === undefined ? `hand:${image?.slice(-3)}` : `#${buildOfImage(image)}`;

/** What GitHub must show last for a record in this final state (deployment/commit status). */
export function githubOf(
  record: DeploymentRecord,
): { deployment: string; commit: string } | undefined {
  switch (record.state) {
    case "succeeded":
      return { deployment: "success", commit: "success" };
    case "rolled_back":
    case "failed":
      return { deployment: "failure", commit: "failure" };
    case "superseded":
      return { deployment: "inactive", commit: "error" };
    case "replaced":
      return { deployment: "error", commit: "error" };
    default:
      return undefined;
  }
}

/** Lets every handler that can move run until it waits at a gate again (no timers anywhere). */
async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error);
}
