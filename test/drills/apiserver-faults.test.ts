import { DeploymentState, recheckRollouts } from "@slipway/core";
import { digestImage, seedDeployment } from "@slipway/ledger/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { median, percentile } from "../../bench/report.ts";
import type { DeployResult } from "../../functions/deploy/deploy-handler.ts";
import type { FaultProxy } from "../harness/fault-proxy.ts";
import {
  deleteWorkloads,
  deployDeps,
  deployerWorkloads,
  imageOf,
} from "../integration/deploy/cluster-kit.ts";
import { drillHandler, drillStage, registry, seedRun } from "./support/deploy-drill-kit.ts";
import { drillSeed, formName, longForm, recordDrill, seededRandom } from "./support/drill-form.ts";
import { injectAtRate } from "./support/fault-schedule.ts";

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
    // Prepare: one stage, each deploy a new build; faults on every request path to the API server.
    const seed = drillSeed();
    const random = seededRandom(seed);
    const target = await drillStage("faults");
    created.push(...target.deployments);
    const { deps, ledger } = deployDeps(kit.workloads, target, 30_000);
    const handler = drillHandler(deps);
    // #1 is what the stage runs: the last succeeded image, which a failed rollout restores.
    await seedDeployment(ledger, {
      stage: "dev",
      sequence: 1,
      state: "succeeded",
      imageDigest: digestImage(1, registry),
    });
    const builds = await seedRun(ledger, 2, deploys);
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
      const record = await ledger.get({ stage: "dev", sequence: build.record.sequence });
      // Read as admin, straight from the API server (not through the fault proxy).
      const images = await Promise.all(target.deployments.map((t) => imageOf(t)));
      const context = `#${build.record.sequence} ended ${ending}, ledger ${record?.state}, images ${images.join(" ")}`;
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
      const record = await ledger.get({ stage: "dev", sequence: build.record.sequence });
      if (!["superseded", "succeeded"].includes(kind) || record?.state !== kind) {
        wrong.push(`redriven #${build.record.sequence} ended ${kind}, ledger ${record?.state}`);
      }
    }
    const rechecked = await recheckRollouts({ ...deps, settleAfterMs: 0 });
    const open = (await ledger.history("dev", deploys + 10)).filter(
      (r) =>
        r.sequence >= 2 &&
        !["succeeded", "superseded", "rolled_back", "failed", "replaced"].includes(r.state),
    );
    const newest = builds.at(-1);
    const finalImages = await Promise.all(target.deployments.map((t) => imageOf(t)));
    const count = (kind: Ending) => endings.get(kind) ?? 0;
    const injectedTotal = [...faults.injected.values()].reduce((a, b) => a + b, 0);
    recordDrill(
      "apiserver-faults",
      {
        id: "drill-apiserver-faults",
        title: `API server faults drill (${formName} form)`,
        method:
          `${deploys} deploys, one at a time, each a real CodeBuild SUCCEEDED event through the deploy handler ` +
          "against 2 Deployments on the local control plane, through a loopback proxy that answers " +
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
    // Once everything is concluded, the newest build runs if it succeeded (a rollback restores an older one).
    const newestRecord = await ledger.get({ stage: "dev", sequence: newest?.record.sequence ?? 0 });
    if (newestRecord?.state === DeploymentState.succeeded) {
      expect(finalImages).toEqual(target.deployments.map(() => newest?.image));
    }
    expect(finalImages).not.toContain(digestImage(1, registry));
  });
});
