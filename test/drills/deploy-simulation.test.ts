import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type BuildPlan, type Command, DeployWorld, tally } from "./support/deploy-world.ts";
import { drillSeed, formName, longForm, recordDrill } from "./support/drill-form.ts";

// A model-based property test of the whole deploy side: the real core (deployBuild, the
// re-check, an operator's rollback, pin and unpin) over the in-memory ledger, Deployments and
// GitHub, driven through generated interleavings of every actor. CI runs a fixed seed; the
// long form (SLIPWAY_DRILL=long) runs fresh ones, many more.
const runs = Number(process.env.SLIPWAY_SIM_RUNS) || (longForm ? 100_000 : 4_000);
const seed = longForm || process.env.SLIPWAY_DRILL_SEED ? drillSeed() : 17;

const buildPlans = fc.integer({ min: 1, max: 4 }).chain((count) =>
  fc.tuple(
    ...Array.from({ length: count }, (_, i) =>
      fc.record({
        sequence: fc.constant(i + 2),
        succeeds: fc.oneof(
          { weight: 5, arbitrary: fc.constant(true) },
          { weight: 1, arbitrary: fc.constant(false) },
        ),
        runs: fc.oneof(
          { weight: 3, arbitrary: fc.constant(true) },
          { weight: 1, arbitrary: fc.constant(false) },
        ),
        // A forged event, or an image deleted from the registry since it was built.
        pushed: fc.oneof(
          { weight: 9, arbitrary: fc.constant(true) },
          { weight: 1, arbitrary: fc.constant(false) },
        ),
      }),
    ),
  ),
) as fc.Arbitrary<BuildPlan[]>;

const pick = fc.nat({ max: 20 });
const target = fc.nat({ max: 1 });
type Kind = Command["kind"];
const arbitraries: Record<Kind, fc.Arbitrary<Command>> = {
  deliver: fc.record({ kind: fc.constant("deliver" as const), build: pick }),
  step: fc.record({ kind: fc.constant("step" as const), pick }),
  advance: fc.record({ kind: fc.constant("advance" as const), pick }),
  timeout: fc.record({ kind: fc.constant("timeout" as const), pick }),
  retry: fc.record({ kind: fc.constant("retry" as const), pick }),
  recheck: fc.constant({ kind: "recheck" as const }),
  tick: fc.record({
    kind: fc.constant("tick" as const),
    ms: fc.constantFrom(5_000, 150_000, 31 * 60_000),
  }),
  settle: fc.record({ kind: fc.constant("settle" as const), target }),
  fault: fc.record({
    kind: fc.constant("fault" as const),
    call: fc.constantFrom(
      "workloads.read",
      "workloads.setImage",
      "workloads.revisions",
      "ledger.transition",
      "ledger.history",
      "github",
    ),
    fault: fc.constantFrom("transient", "refused", "timeout"),
  }),
  "set-image": fc.record({ kind: fc.constant("set-image" as const), target }),
  undo: fc.record({ kind: fc.constant("undo" as const), target }),
  pause: fc.record({ kind: fc.constant("pause" as const), target, paused: fc.boolean() }),
  scale: fc.record({
    kind: fc.constant("scale" as const),
    target,
    replicas: fc.integer({ min: 1, max: 4 }),
  }),
  rollback: fc.constant({ kind: "rollback" as const }),
  pin: fc.record({ kind: fc.constant("pin" as const), rollback: fc.boolean() }),
  unpin: fc.record({ kind: fc.constant("unpin" as const), deployLatest: fc.boolean() }),
};

/**
 * How often each actor acts, per kind of scenario: every scenario has builds, the scheduler
 * and the clock; some lean on faults and timeouts, some on operators' hands, some on races.
 */
const base = { deliver: 6, step: 16, advance: 4, recheck: 2, tick: 2, settle: 6, retry: 2 };
const profiles: Record<string, Partial<Record<Kind, number>>> = {
  mixed: {
    ...base,
    timeout: 2,
    fault: 2,
    "set-image": 1,
    undo: 2,
    pause: 1,
    scale: 1,
    rollback: 1,
    pin: 1,
    unpin: 1,
  },
  faults: { ...base, timeout: 4, fault: 6 },
  hands: {
    ...base,
    timeout: 1,
    fault: 1,
    "set-image": 3,
    undo: 4,
    pause: 2,
    scale: 2,
    recheck: 4,
    tick: 4,
  },
  operators: { ...base, timeout: 1, rollback: 3, pin: 3, unpin: 3, undo: 1 },
  races: { ...base, deliver: 10, timeout: 2 },
};

const scenario = fc.constantFrom(...Object.keys(profiles)).chain((name) =>
  fc.array(
    fc.oneof(
      ...Object.entries(profiles[name] ?? {}).map(([kind, weight]) => ({
        weight,
        arbitrary: arbitraries[kind as Kind],
      })),
    ),
    { maxLength: 80 },
  ),
);

/** What is checked after every step and at quiescence (test/drills/support/deploy-world.ts). */
const invariants = [
  "a lower build replaced a higher one, or a resumed deploy patched over a hand edit",
  "a Deployment at quiescence runs neither the newest succeeded image nor one the ledger explains (operator, replaced, failed naming it)",
  "a record left unfinished, or rolled_back while its image runs",
  "GitHub's last deployment and commit status differ from the ledger's state",
];

/** Runs one generated scenario to quiescence and returns what went wrong. */
async function runScenario(
  builds: BuildPlan[],
  commands: Command[],
  options: { log?: boolean } = {},
): Promise<string[]> {
  const world = new DeployWorld(builds);
  await world.start();
  for (const c of commands) await world.apply(c);
  await world.drain();
  return options.log && world.violations.length > 0
    ? [...world.violations, "--- log:", ...world.log]
    : world.violations;
}

/** Shrunk counterexamples the simulation found, replayed as they were (each fixed since). */
const found: Array<[string, BuildPlan[], Command[]]> = [
  [
    "a run killed between its verdict and its report",
    [
      { sequence: 2, succeeds: true, runs: false },
      { sequence: 3, succeeds: false, runs: false },
    ],
    [
      { kind: "deliver", build: 3 },
      { kind: "step", pick: 0 },
      { kind: "step", pick: 0 },
      { kind: "timeout", pick: 0 },
    ],
  ],
  [
    "an older build slipping in after a rollout undo lowered the guard",
    [
      { sequence: 2, succeeds: true, runs: false },
      { sequence: 3, succeeds: true, runs: true },
    ],
    [
      { kind: "deliver", build: 0 },
      { kind: "step", pick: 0 },
      { kind: "step", pick: 0 },
      { kind: "deliver", build: 7 },
      { kind: "advance", pick: 3 },
      { kind: "undo", target: 0 },
    ],
  ],
  [
    "a build held just after the unpin",
    [
      { sequence: 2, succeeds: true, runs: true },
      { sequence: 3, succeeds: true, runs: false },
      { sequence: 4, succeeds: true, runs: true },
      { sequence: 5, succeeds: false, runs: false },
    ],
    [
      { kind: "deliver", build: 0 },
      { kind: "pin", rollback: false },
      { kind: "step", pick: 0 },
      { kind: "step", pick: 1 },
      { kind: "unpin", deployLatest: false },
    ],
  ],
  [
    "a superseded image left where the newer build's patch was refused",
    [
      { sequence: 2, succeeds: true, runs: true },
      { sequence: 3, succeeds: true, runs: true },
    ],
    [
      { kind: "deliver", build: 0 },
      { kind: "step", pick: 0 },
      { kind: "step", pick: 0 },
      { kind: "deliver", build: 9 },
      { kind: "fault", call: "workloads.read", fault: "refused" },
      { kind: "advance", pick: 15 },
    ],
  ],
  [
    "the transition's winner patching after a resumed twin and an undo",
    [{ sequence: 2, succeeds: true, runs: true }],
    [
      { kind: "deliver", build: 0 },
      { kind: "step", pick: 0 },
      { kind: "step", pick: 0 },
      { kind: "deliver", build: 0 },
      { kind: "step", pick: 0 },
      { kind: "advance", pick: 9 },
      { kind: "undo", target: 0 },
    ],
  ],
];

describe("deploy simulation: what it found", () => {
  it.each(found)("keeps the stage truthful after %s", async (_, builds, commands) => {
    expect(await runScenario(builds, commands, { log: true })).toEqual([]);
  });
});

describe(`deploy simulation (${formName} form)`, () => {
  it(`keeps the cluster, the ledger and GitHub in agreement over ${runs} interleavings`, async () => {
    const started = performance.now();
    let count = 0;
    const result = await fc.check(
      fc.asyncProperty(buildPlans, scenario, async (builds, commands) => {
        count++;
        const violations = await runScenario(builds, commands);
        if (violations.length > 0) throw new Error(violations.join("\n"));
      }),
      { numRuns: runs, seed },
    );
    const seconds = (performance.now() - started) / 1000;
    console.info([...tally].map(([k, v]) => `${k}: ${v}`).join(", "));
    // A failing run records nothing: the README shows passing long-form runs only.
    if (!result.failed)
      recordDrill(
        "deploy-simulation",
        {
          id: "deploy-simulation",
          title: "Deploy simulation drill (long form)",
          method: `fast-check generates interleavings of build events (any order, duplicated, late), rollouts completing, failing and stalling, transient and permanent API errors, Lambda timeouts and retries, re-checks, operator rollback/pin/unpin and hand edits (set image, undo, pause, scale), run against the real core with the in-memory doubles under a deterministic scheduler (every port call is a gate the scenario releases; virtual clock; seed ${seed}); after every step and at quiescence it checks that no lower build replaces a higher one, each Deployment runs the newest succeeded image (or the operator's), no record is left unfinished or contradicts the cluster, and GitHub's last statuses equal the ledger.`,
          rows: [
            { name: "interleavings", unit: "runs", median: count },
            { name: "actor steps", unit: "steps", median: tally.get("steps") ?? 0 },
            ...invariants.map((name) => ({
              name: `violations: ${name}`,
              unit: "runs",
              median: 0,
            })),
            ...[...tally]
              .filter(([key]) => key !== "steps")
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([name, n]) => ({ name, unit: "times", median: n })),
            { name: "wall time", unit: "s", median: seconds, note: "on the shared 2-core machine" },
          ],
        },
        `${count} interleavings in ${seconds.toFixed(1)} s (seed ${seed}), ${result.failed ? "FAILED" : "0 violations"}`,
      );
    if (result.failed) {
      const [builds, commands] = result.counterexample as [BuildPlan[], Command[]];
      const violations = await runScenario(builds, commands, { log: true });
      expect.fail(
        `seed ${seed} path ${result.counterexamplePath}\nbuilds ${JSON.stringify(builds)}\ncommands ${JSON.stringify(commands)}\n${violations.join("\n")}`,
      );
    }
  });
});
