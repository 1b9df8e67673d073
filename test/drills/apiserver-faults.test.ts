import {
  type DeployDeps,
  type DeploymentRecord,
  DeploymentState,
  type DeployTarget,
  pinStage,
  recheckRollouts,
  rollbackStage,
  rolloutStates,
  unpinStage,
  type WorkloadTarget,
} from "@slipway/core";
import { createKubeWorkloads } from "@slipway/kube";
import { digestImage, seedDeployment } from "@slipway/ledger/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { median, percentile } from "../../bench/report.ts";
import type { DeployResult } from "../../functions/deploy/deploy-handler.ts";
import { buildEventFor } from "../events/codebuild/fixtures.ts";
import type { FaultProxy } from "../harness/fault-proxy.ts";
import {
  adminApps,
  createWorkloads,
  deleteWorkloads,
  deployDeps,
  deployerWorkloads,
  imageOf,
  kube,
  loadKubeConfig,
  uniqueName,
  workloadManifest,
} from "../integration/deploy/cluster-kit.ts";
import { neverReadyDigestPrefix, neverReadyImage } from "../kube/kwok-stages.ts";
import {
  recordImageChanges,
  recordingWrites,
  type SlipwayWrite,
} from "./support/cluster-history.ts";
import {
  drillHandler,
  drillStage,
  registry,
  registryOf,
  seedRun,
} from "./support/deploy-drill-kit.ts";
import { DeployRules } from "./support/deploy-rules.ts";
import { drillSeed, formName, longForm, recordDrill, seededRandom } from "./support/drill-form.ts";
import { injectAtRate } from "./support/fault-schedule.ts";
import { type DrillStep, handsOn, planSteps, Twist } from "./support/operator-hands.ts";

const deploys = longForm ? 100 : 20;
const mix = { rate: 0.15, burstChance: 0.01, burstLength: 12 };
// Lambda runs an async event up to 3 times (the first try and 2 retries), then the DLQ.
const lambdaAttempts = 3;
// Deploys during which the API server stays down for all of Lambda's runs: they must reach the
// DLQ, and a redrive once it is back must account for them.
const downFor = longForm ? [17, 41, 73] : [6];

let kit: { workloads: Parameters<typeof deployDeps>[0]; proxy: FaultProxy };
const created: Parameters<typeof deleteWorkloads>[0][number][] = [];

beforeAll(async () => {
  kit = await deployerWorkloads();
});

afterAll(async () => {
  await deleteWorkloads(created);
  await kit?.proxy.stop();
});

type Ending = DeployResult["kind"] | "dlq";

describe(`API server faults drill (${formName} form)`, () => {
  it(`accounts for every one of ${deploys} deploys through 409s, 429s, 500s and resets: right digest, rolled back, or DLQ`, async () => {
    // Prepare: one stage with two services (chat and greeter), their deploys interleaved, each
    // deploy a new build of one of them; faults on every request path to the API server.
    const seed = drillSeed();
    const random = seededRandom(seed);
    const targets = [await drillStage("faults"), await drillStage("faults-greeter", "greeter")];
    const targetOf = (service: string) => targets.find((t) => t.service === service) ?? targets[0];
    for (const t of targets) created.push(...t.deployments);
    const [first] = targets;
    if (first === undefined) throw new Error("no stage");
    const { deps, ledger } = deployDeps(kit.workloads, first, 30_000);
    const handler = drillHandler(deps, targets);
    // #1 is what each service runs: its last succeeded image, which a failed rollout restores.
    for (const t of targets) {
      await seedDeployment(ledger, {
        stage: "dev",
        service: t.service,
        sequence: 1,
        state: "succeeded",
        imageDigest: digestImage(1, registryOf(t.service)),
      });
    }
    const perService = Math.ceil(deploys / targets.length);
    const lanes = await Promise.all(targets.map((t) => seedRun(ledger, 2, perService, t.service)));
    // Interleaved: chat #2, greeter #2, chat #3, …
    const builds = Array.from({ length: perService }, (_, i) => lanes.map((l) => l[i]))
      .flat()
      .filter((b) => b !== undefined)
      .slice(0, deploys);
    const endings = new Map<Ending, number>();
    const wrong: string[] = [];
    const attemptsUsed: number[] = [];
    const deployMs: number[] = [];
    const requestsBefore = kit.proxy.requests.length;
    const faults = injectAtRate(kit.proxy, mix, random);

    // Act: one deploy at a time, each event retried as Lambda would, then parked in the DLQ.
    const parked: typeof builds = [];
    for (const [index, build] of builds.entries()) {
      faults.down = downFor.includes(index);
      const started = performance.now();
      let ending: Ending = "dlq";
      let attempts = 0;
      while (attempts < lambdaAttempts) {
        attempts += 1;
        try {
          ending = (await handler(build.event)).kind;
          break;
        } catch {
          ending = "dlq";
        }
      }
      faults.down = false;
      if (ending === "dlq") parked.push(build);
      deployMs.push(performance.now() - started);
      attemptsUsed.push(attempts);
      endings.set(ending, (endings.get(ending) ?? 0) + 1);

      // Assess as it stands: the cluster and the ledger agree with what the handler said.
      const record = await ledger.get(build.record);
      const target = targetOf(build.record.service);
      // Read as admin, straight from the API server (not through the fault proxy).
      const images = await Promise.all((target?.deployments ?? []).map((t) => imageOf(t)));
      const context = `${build.record.service} #${build.record.sequence} ended ${ending}, ledger ${record?.state}, images ${images.join(" ")}`;
      // The other service's Deployments run only their own service's images, whatever happened here.
      for (const other of targets.filter((t) => t.service !== build.record.service)) {
        for (const image of await Promise.all(other.deployments.map((t) => imageOf(t)))) {
          if (!image?.startsWith(`${registryOf(other.service)}@`)) {
            wrong.push(`${context}: ${other.service} runs ${image}`);
          }
        }
      }
      if (ending === "succeeded") {
        if (record?.state !== DeploymentState.succeeded || record.imageDigest !== build.image)
          wrong.push(context);
        if (images.some((image) => image !== build.image)) wrong.push(context);
      } else if (ending === "rolled-back") {
        if (record?.state !== DeploymentState.rolledBack) wrong.push(context);
        if (images.includes(build.image)) wrong.push(context);
      } else if (ending !== "dlq") {
        wrong.push(context);
      }
    }
    faults.stop();
    const requests = kit.proxy.requests.slice(requestsBefore);

    // Once the API server is healthy: the DLQ redriven (each parked event delivered again),
    // then the scheduled re-check for any rollout a dead run left behind.
    const redriven = new Map<string, number>();
    for (const build of parked) {
      const kind = (await handler(build.event)).kind;
      redriven.set(kind, (redriven.get(kind) ?? 0) + 1);
      const record = await ledger.get(build.record);
      if (!["superseded", "succeeded"].includes(kind) || record?.state !== kind) {
        wrong.push(`redriven #${build.record.sequence} ended ${kind}, ledger ${record?.state}`);
      }
    }
    const rechecked = (
      await Promise.all(
        targets.map((target) => recheckRollouts({ ...deps, target, settleAfterMs: 0 })),
      )
    ).flat();
    const open = (await Promise.all(targets.map((target) => ledger.history(target, deploys + 10))))
      .flat()
      .filter(
        (r) =>
          r.sequence >= 2 &&
          !["succeeded", "superseded", "rolled_back", "failed", "replaced"].includes(r.state),
      );
    const count = (kind: Ending) => endings.get(kind) ?? 0;
    const injectedTotal = [...faults.injected.values()].reduce((a, b) => a + b, 0);
    recordDrill(
      "apiserver-faults",
      {
        id: "drill-apiserver-faults",
        title: `API server faults drill (${formName} form)`,
        method:
          `${deploys} deploys, one at a time, alternating between two services of one stage (chat and greeter, one handler ` +
          "serving both), each a real CodeBuild SUCCEEDED event through the deploy handler " +
          "against the service's 2 Deployments on the local control plane (the other service's checked untouched after every deploy), through a loopback proxy that answers " +
          `${Math.round(mix.rate * 100)}% of requests with 409 (writes) / 429 / 500 / a reset, and starts a ` +
          `${mix.burstLength}-request outage with ${mix.burstChance * 100}% chance per request. An event that ` +
          `throws is retried as Lambda does (${lambdaAttempts} runs), then counted for the DLQ; during ${downFor.length} ` +
          `deploys the API server stays down for all runs, and the DLQ is redriven at the end. Seed ${seed}.`,
        rows: [
          { name: "deploys", unit: "events", median: deploys },
          { name: "API requests", unit: "requests", median: requests.length },
          {
            name: "faults injected",
            unit: "requests",
            median: injectedTotal,
            note: [...faults.injected].map(([k, n]) => `${n}× ${k}`).join(", "),
          },
          { name: "succeeded, right digest", unit: "events", median: count("succeeded") },
          { name: "rolled back", unit: "events", median: count("rolled-back") },
          {
            name: "to the DLQ",
            unit: "events",
            median: count("dlq"),
            note: `after ${lambdaAttempts} runs; redriven: ${JSON.stringify(Object.fromEntries(redriven))}; the re-check concluded ${rechecked.length}`,
          },
          {
            name: "needed a Lambda retry",
            unit: "events",
            median: attemptsUsed.filter((a) => a > 1).length,
          },
          { name: "lost or wrong", unit: "events", median: wrong.length + open.length },
          {
            name: "deploy duration",
            unit: "ms",
            median: median(deployMs),
            p99: percentile(deployMs, 99),
            note: "all runs of one event",
          },
        ],
      },
      `${deploys} deploys, ${requests.length} API requests, ${injectedTotal} faults ` +
        `(${JSON.stringify(Object.fromEntries(faults.injected))}); endings ${JSON.stringify(Object.fromEntries(endings))}; ` +
        `Lambda retries ${attemptsUsed.filter((a) => a > 1).length}; DLQ redriven ${JSON.stringify(Object.fromEntries(redriven))}; re-check concluded ${rechecked.length}; seed ${seed}`,
    );

    expect(wrong).toEqual([]);
    expect(count("dlq")).toBeGreaterThanOrEqual(downFor.length);
    expect([...endings.values()].reduce((a, b) => a + b, 0)).toBe(deploys);
    expect(open.map((r) => `#${r.sequence} ${r.state}`)).toEqual([]);
    expect(injectedTotal).toBeGreaterThan(0);
    // Once everything is concluded, each service's newest build runs if it succeeded (a
    // rollback restores an older one of the same service).
    for (const [i, target] of targets.entries()) {
      const newest = lanes[i]?.at(-1);
      const finalImages = await Promise.all(target.deployments.map((t) => imageOf(t)));
      const newestRecord = newest && (await ledger.get(newest.record));
      if (newestRecord?.state === DeploymentState.succeeded) {
        expect(finalImages).toEqual(target.deployments.map(() => newest?.image));
      }
      expect(finalImages).not.toContain(digestImage(1, registryOf(target.service)));
    }
  });
});

const rounds = longForm ? 3 : 1;
// Each step waits on real rollouts (a failed one for its 4 s deadline): ~7 s a step here.
const restoresTimeoutMs = longForm ? 30 * 60_000 : 10 * 60_000;
/** Faults stay on through the whole drill, lighter than above: the restores get their own. */
const restoreMix = { rate: 0.08, burstChance: 0.005, burstLength: 12 };
/** Far more requests than one run's retries (5 per call) get through, but fewer than 3 runs'. */
const restoreOutage = 30;

describe(`API server faults drill, restores and operators (${formName} form)`, () => {
  it(
    `keeps the cluster, the ledger and GitHub agreeing through faulted restores and operators' hands, ${rounds} round(s) of every twist`,
    async () => {
      // Prepare: a stage whose bad images never become Ready (kwok), so failed rollouts and their
      // restores happen for real; every image write Slipway makes is remembered by generation,
      // and the API server's own watch gives the cluster's history to judge.
      const seed = drillSeed();
      const random = seededRandom(seed);
      const base = uniqueName("truth");
      const targets = await createWorkloads(
        (["server", "web"] as const).map((container) =>
          workloadManifest({
            name: `${base}-${container}`,
            container,
            image: digestImage(1, registry),
            replicas: 1,
            progressDeadlineSeconds: 4,
          }),
        ),
      );
      created.push(...targets);
      const target: DeployTarget = {
        stage: "dev",
        service: "chat",
        deployments: targets,
        production: false,
        imageRepository: registry,
      };
      const admin = loadKubeConfig(kube.kubeconfigAdmin);
      const writes = new Map<string, SlipwayWrite>();
      const history = await recordImageChanges(admin, targets);
      const made = deployDeps(recordingWrites(kit.workloads, writes), target, 15_000);
      const { github } = made;
      const memory = made.ledger;
      let onTransition: ((record: DeploymentRecord) => Promise<void>) | undefined;
      const ledger = new Proxy(memory, {
        get(object, property) {
          if (property === "transition") {
            return async (...args: Parameters<typeof memory.transition>) => {
              const outcome = await memory.transition(...args);
              if (outcome.kind === "applied") await onTransition?.(outcome.record);
              return outcome;
            };
          }
          const value = Reflect.get(object, property);
          return typeof value === "function" ? value.bind(object) : value;
        },
      });
      const deps: DeployDeps = { ...made.deps, ledger };
      const handler = drillHandler(deps);
      // The operator CLI's identity is the person's own (admin), not through the fault proxy.
      const operatorDeps: DeployDeps = {
        ...deps,
        workloads: recordingWrites(
          createKubeWorkloads({ config: admin, watchSeconds: 10 }),
          writes,
        ),
      };
      const hands = handsOn(kube.kubeconfigAdmin);
      await seedDeployment(memory, {
        stage: "dev",
        sequence: 1,
        state: "succeeded",
        imageDigest: digestImage(1, registry),
      });
      const rules = new DeployRules({
        changes: history.changes,
        writes,
        ledger: memory,
        github,
        targets,
        replicaSets: async () => {
          const sets = await adminApps.listNamespacedReplicaSet({ namespace: kube.namespace });
          return new Map(
            sets.items.map((set) => [
              set.metadata?.name ?? "",
              set.spec?.template?.spec?.containers[0]?.image,
            ]),
          );
        },
        buildOf: (image) => {
          const hex = image?.split("@sha256:")[1] ?? "";
          if (hex.startsWith(neverReadyDigestPrefix)) return Number.parseInt(hex.slice(6), 16);
          const n = Number.parseInt(hex, 16);
          return n >= 1 && n < 0xa000 ? n : undefined;
        },
      });
      const steps = planSteps(rounds, random);
      const faults = injectAtRate(kit.proxy, restoreMix, random);
      const requestsBefore = kit.proxy.requests.length;
      const endings = new Map<string, number>();
      const fired = new Map<string, number>();
      const refusedByKubectl: string[] = [];
      const stepMs: number[] = [];
      const parked: Array<{ event: unknown; sequence: number }> = [];
      const paused = new Set<WorkloadTarget>();
      let pinned = false;
      let keptHeld = false;
      let retried = 0;
      let quiescentChecks = 0;
      let rechecks = 0;
      let recheckErrors = 0;
      const inFlight = async () =>
        (await memory.history({ stage: "dev", service: "chat" }, 500)).some((r) =>
          rolloutStates.includes(r.state),
        );
      let hand = 0;
      const started = performance.now();
      const tally = (map: Map<string, number>, key: string) =>
        map.set(key, (map.get(key) ?? 0) + 1);

      let imageOfStep = "";
      const act = async (step: DrillStep, sequence: number): Promise<void> => {
        const t = targets[step.target % targets.length] as WorkloadTarget;
        tally(fired, step.twist);
        try {
          switch (step.twist) {
            case Twist.plain:
              return;
            case Twist.unpushed:
              made.registry.delete(imageOfStep);
              return;
            case Twist.outageInRestore:
              faults.outage(restoreOutage);
              return;
            case Twist.blockedRestore:
              await hands.starve(targets);
              return;
            case Twist.undo:
            case Twist.undoInRestore:
              await hands.undo(t);
              return;
            case Twist.setImage:
            case Twist.setImageInRestore:
              await hands.setImage(t, digestImage(0xa000 + ++hand, registry));
              return;
            case Twist.pause:
              await hands.pause(t);
              paused.add(t);
              return;
            case Twist.resume:
              for (const p of paused) await hands.resume(p);
              paused.clear();
              return;
            case Twist.scale:
              await hands.scale(t, 1 + Math.floor(random() * 2));
              return;
            case Twist.rollback:
              await rollbackStage(operatorDeps, { requestedBy: "drill" });
              return;
            case Twist.pin:
            case Twist.pinRollback:
              pinned = true;
              await pinStage(operatorDeps, {
                reason: `drill incident at #${sequence}`,
                by: "drill",
                ...(step.twist === Twist.pinRollback ? { rollback: {} } : {}),
              });
              return;
            case Twist.unpin:
            case Twist.unpinDeploy:
              await unpinStage(operatorDeps, { deployLatest: step.twist === Twist.unpinDeploy });
              pinned = false;
              keptHeld = step.twist === Twist.unpin;
              return;
          }
        } catch (error) {
          // kubectl refusing (nothing to undo) is the operator's answer, not the drill's failure.
          refusedByKubectl.push(`${step.twist}: ${String(error).split("\n")[0]}`);
        }
      };

      // Act: one deploy per step, its twist at its moment, faults throughout; the rules after each.
      let sequence = 1;
      for (const [index, step] of steps.entries()) {
        sequence += 1;
        const stepStarted = performance.now();
        const record = await seedDeployment(memory, { stage: "dev", service: "chat", sequence });
        const image = step.bad
          ? neverReadyImage(sequence, registry)
          : digestImage(sequence, registry);
        const event = buildEventFor("succeeded", { ...record, image });
        imageOfStep = image;
        const side: Promise<void>[] = [];
        if (step.at === "before") await act(step, sequence);
        if (step.at === "deploying" || step.at === "rolling_back") {
          const state = step.at;
          const delay = state === "deploying" ? Math.floor(random() * 1500) : 0;
          onTransition = async (r) => {
            if (r.sequence !== sequence || r.state !== state) return;
            onTransition = undefined;
            const acting = (async () => {
              await new Promise((resolve) => setTimeout(resolve, delay));
              await act(step, sequence);
            })();
            // What happens as the restore starts lands before its first patch (as a slow ledger
            // write would let it); what happens while deploying races the run.
            if (state === "rolling_back") await acting;
            else side.push(acting);
          };
        }
        let ending = "dlq";
        for (let attempt = 1; attempt <= lambdaAttempts; attempt++) {
          try {
            ending = (await handler(event)).kind;
            break;
          } catch {
            if (attempt < lambdaAttempts) retried += 1;
          }
        }
        // A twist whose moment never came (the build was held or superseded first) happens now.
        const missed = onTransition !== undefined;
        onTransition = undefined;
        await Promise.all(side);
        if (missed) await act(step, sequence);
        if (step.at === "after") await act(step, sequence);
        if (step.twist === Twist.blockedRestore) await hands.uncordon();
        if (ending === "dlq") parked.push({ event, sequence });
        tally(endings, ending);
        stepMs.push(performance.now() - stepStarted);

        // The scheduled re-check (every minute in AWS) concludes what outlived its run or was
        // left by a run that died; a DLQ'd event redriven later then finds it concluded.
        for (let round = 0; round < 3 && (await inFlight()); round++) {
          try {
            rechecks += (await recheckRollouts({ ...deps, settleAfterMs: 0 })).length;
          } catch {
            recheckErrors += 1;
          }
        }

        // Assess: the cluster's history so far, and the whole stage once nothing is in flight.
        await history.caughtUp();
        const context = `step ${index} (#${sequence} ${step.bad ? "bad" : "good"}, ${step.twist} ${step.at}, ended ${ending})`;
        await rules.judgeWrites(context);
        // A digest the registry does not hold fails before any patch, pinned stage or not.
        if (step.twist === Twist.unpushed) {
          const reached = history.changes.some((c) => c.to === image);
          if (ending !== "failed" || reached) {
            rules.violations.push(
              `${context}: an unpushed digest ${reached ? "reached the cluster" : `ended ${ending}`}`,
            );
          }
        }
        const images = new Map(
          await Promise.all(targets.map(async (t) => [t.name, await imageOf(t)] as const)),
        );
        if (await rules.judgeQuiescent(context, images, { heldAllowed: pinned || keptHeld })) {
          quiescentChecks += 1;
        }
      }

      // Quiescence: faults heal, hands come off, the DLQ is redriven, the re-check concludes
      // whatever outlived its run, and the stage is unpinned with its newest held build.
      faults.stop();
      for (const p of paused) await hands.resume(p);
      const redriven = new Map<string, number>();
      for (const { event } of parked) tally(redriven, (await handler(event)).kind);
      for (let round = 0; round < 20 && (await inFlight()); round++) {
        rechecks += (await recheckRollouts({ ...deps, settleAfterMs: 0 })).length;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      if (pinned) await unpinStage(operatorDeps, { deployLatest: true });
      await history.caughtUp();
      await rules.judgeWrites("at quiescence");
      const quiet = new Map(
        await Promise.all(targets.map(async (t) => [t.name, await imageOf(t)] as const)),
      );
      const settled = await rules.judgeQuiescent("at quiescence", quiet, {
        heldAllowed: keptHeld && !pinned,
      });
      // And the stage still deploys: the next push rolls out everywhere and says so.
      sequence += 1;
      const last = await seedDeployment(memory, { stage: "dev", service: "chat", sequence });
      const lastImage = digestImage(sequence, registry);
      const final = await handler(buildEventFor("succeeded", { ...last, image: lastImage }));
      await history.caughtUp();
      await rules.judgeWrites("the final push");
      const finalImages = await Promise.all(targets.map((t) => imageOf(t)));
      await rules.judgeQuiescent(
        "after the final push",
        new Map(targets.map((t, i) => [t.name, finalImages[i]])),
        { heldAllowed: false },
      );
      history.stop();
      const wallSeconds = (performance.now() - started) / 1000;
      const records = (await memory.history({ stage: "dev", service: "chat" }, 500)).filter(
        (r) => r.sequence > 1,
      );
      const ends = new Map<string, number>();
      for (const r of records) tally(ends, r.state);
      // Why the failed ones failed, by kind: the drill's own design says which to expect.
      const why = new Map<string, number>();
      for (const r of records.filter((r) => r.state === "failed")) {
        const reason = r.reason ?? "";
        tally(
          why,
          reason.includes("no image has that digest")
            ? "digest not in the registry"
            : reason.includes("not restored")
              ? "not restored (a hand edit)"
              : /the restore to .* failed/.test(reason)
                ? "restore could not roll out"
                : reason.includes("did not complete in time")
                  ? "outlived its bound"
                  : reason.slice(0, 60),
        );
      }
      const requests = kit.proxy.requests.slice(requestsBefore);
      const injectedTotal = [...faults.injected.values()].reduce((a, b) => a + b, 0);
      const json = (map: Map<string, number>) => JSON.stringify(Object.fromEntries(map));
      recordDrill(
        "apiserver-faults-restores",
        {
          id: "drill-apiserver-faults-restores",
          title: `API server faults drill, restores and operators (${formName} form)`,
          method:
            `${steps.length} deploys, one at a time, through the deploy handler as the restricted deployer ` +
            `against 2 Deployments (1 replica, progress deadline 4 s) on the local control plane, behind the ` +
            `fault proxy (${Math.round(restoreMix.rate * 100)}% of requests faulted throughout). About 30% of the ` +
            "images never become Ready (kwok), so their rollouts fail and restore for real. Around each deploy, " +
            `${rounds} round(s) of every twist in a seeded order: an outage of ${restoreOutage} requests as the ` +
            "restore starts (the run throws and Lambda retries it), nodes cordoned and pods deleted as it starts " +
            "(the restore cannot roll out), `kubectl rollout undo` and `set image` as it starts, and before, during " +
            "or after a deploy: undo, set image, pause and resume, scale, and the operator CLI's rollback, pin " +
            "(with and without rollback) and unpin (with and without --deploy-latest) through core's operate " +
            "functions. After each deploy and at quiescence, issue 17's rules are judged against the API server's " +
            `watch of the Deployments, the ledger and the GitHub double; then one more push must deploy. Seed ${seed}.`,
          rows: [
            { name: "deploys", unit: "events", median: steps.length + 1 },
            { name: "API requests", unit: "requests", median: requests.length },
            {
              name: "faults injected",
              unit: "requests",
              median: injectedTotal,
              note: json(faults.injected),
            },
            { name: "twists applied", unit: "twists", median: steps.length, note: json(fired) },
            { name: "handler endings", unit: "events", median: steps.length, note: json(endings) },
            { name: "final states", unit: "records", median: records.length, note: json(ends) },
            {
              name: "failed, by why",
              unit: "records",
              median: ends.get("failed") ?? 0,
              note: json(why),
            },
            { name: "needed a Lambda retry", unit: "runs", median: retried },
            {
              name: "to the DLQ",
              unit: "events",
              median: parked.length,
              note: `redriven: ${json(redriven)}; the re-check concluded ${rechecks} (${recheckErrors} re-check runs failed under faults)`,
            },
            {
              name: "hand image changes seen on the cluster",
              unit: "changes",
              median: rules.handChanges,
            },
            { name: "stage judged at quiescence", unit: "checks", median: quiescentChecks + 2 },
            { name: "rule violations", unit: "violations", median: rules.violations.length },
            {
              name: "deploy step duration",
              unit: "ms",
              median: median(stepMs),
              p99: percentile(stepMs, 99),
              note: "the event's runs and its twist",
            },
            { name: "wall time", unit: "s", median: Math.round(wallSeconds) },
          ],
        },
        `${steps.length} steps, ${requests.length} API requests, ${injectedTotal} faults; twists ${json(fired)}; ` +
          `endings ${json(endings)}; final ${json(ends)}; failed ${json(why)}; retries ${retried}; DLQ ${parked.length} -> ${json(redriven)}; ` +
          `hand changes ${rules.handChanges}; kubectl refused ${refusedByKubectl.length}; quiescent checks ${quiescentChecks}; ` +
          `${Math.round(wallSeconds)} s; seed ${seed}`,
      );

      // Assess: no rule broken anywhere, the drill really reached quiescence, and the stage deploys.
      expect(rules.violations).toEqual([]);
      expect(history.state.gaps).toBe(0);
      expect(settled).toBe(true);
      expect(final).toMatchObject({ kind: "succeeded" });
      expect(finalImages).toEqual(targets.map(() => lastImage));
      expect(
        records.filter(
          (r) =>
            !["succeeded", "failed", "superseded", "rolled_back", "replaced"].includes(r.state),
        ),
      ).toEqual([]);
      expect(fired.get(Twist.blockedRestore)).toBeGreaterThan(0);
    },
    restoresTimeoutMs,
  );
});
