import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createDynamoLedger, createLedgerTable } from "@slipway/ledger";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { median, percentile } from "../../bench/report.ts";
import type { FaultProxy } from "../harness/fault-proxy.ts";
import { type MotoServer, motoInstalled, startMoto } from "../harness/moto.ts";
import { serverAvailable } from "../harness/requirements.ts";
import {
  deleteWorkloads,
  deployDeps,
  deployerWorkloads,
} from "../integration/deploy/cluster-kit.ts";
import {
  auditRun,
  drillHandler,
  drillStage,
  seedRun,
  shuffle,
} from "./support/deploy-drill-kit.ts";
import { drillSeed, formName, longForm, recordDrill, seededRandom } from "./support/drill-form.ts";

// Each trial: 5 builds of each of two services of one stage finish "at once"; their
// completion events arrive shuffled together, overlapping and some more than once
// (EventBridge delivers at least once), through one deploy handler serving both services.
const trials = longForm ? 100 : 15;
const buildsPerTrial = 5;
// How far apart the deliveries of one trial may start: they overlap patches and rollouts.
const spreadMs = 400;
const trialsTimeoutMs = trials * 15_000;

let kit: { workloads: Parameters<typeof deployDeps>[0]; proxy: FaultProxy };
let moto: MotoServer;
let dynamo: DynamoDBClient;
const created: Parameters<typeof deleteWorkloads>[0][number][] = [];

describe.runIf(serverAvailable("moto (DynamoDB)", motoInstalled()))(
  `deploy races drill (${formName} form)`,
  () => {
    beforeAll(async () => {
      [kit, moto] = await Promise.all([deployerWorkloads(), startMoto()]);
      dynamo = new DynamoDBClient(moto.clientConfig);
      await createLedgerTable(dynamo, "slipway-ledger-races");
    });

    afterAll(async () => {
      await deleteWorkloads(created);
      dynamo?.destroy();
      await Promise.all([kit?.proxy.stop(), moto?.stop()]);
    });

    it(
      `leaves the newest of ${buildsPerTrial} racing builds running, and the ledger agreeing, in ${trials} trials`,
      async () => {
        // Prepare: one stage on the real control plane, one DynamoDB ledger (on moto) across trials,
        // so the races meet the real conditional writes; sequences grow from trial to trial.
        const seed = drillSeed();
        const random = seededRandom(seed);
        const target = await drillStage("race");
        const greeter = await drillStage("race-greeter", "greeter");
        const targets = [target, greeter];
        created.push(...target.deployments, ...greeter.deployments);
        const ledger = createDynamoLedger({
          client: DynamoDBDocumentClient.from(dynamo),
          tableName: "slipway-ledger-races",
        });
        const deps = { ...deployDeps(kit.workloads, target, 30_000).deps, ledger };
        const handler = drillHandler(deps, targets);
        const failures: Array<{ trial: number; problems: string[]; states: string[] }> = [];
        const outcomes = new Map<string, number>();
        const thrown: string[] = [];
        const trialMs: number[] = [];
        let deliveries = 0;

        for (let trial = 0; trial < trials; trial++) {
          const first = 2 + trial * buildsPerTrial;
          // Both lanes number their builds alike (#first…): only the service tells them apart.
          const runs = [
            await seedRun(ledger, first, buildsPerTrial),
            await seedRun(ledger, first, buildsPerTrial, "greeter"),
          ];
          const builds = runs.flat();
          // Act: every event once, a random third of them again, in a shuffled order, each
          // delivery starting at a random moment within the spread.
          const events = shuffle(
            [...builds, ...builds.filter(() => random() < 1 / 3)].map((b) => b.event),
            random,
          );
          deliveries += events.length;
          const started = performance.now();
          await Promise.all(
            events.map(async (event) => {
              await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * spreadMs)));
              try {
                const result = await handler(event);
                outcomes.set(result.kind, (outcomes.get(result.kind) ?? 0) + 1);
              } catch (error) {
                thrown.push(`trial ${trial}: ${String(error)}`);
              }
            }),
          );
          trialMs.push(performance.now() - started);

          // Assess each trial at once, so a failure names its trial: each service's Deployments
          // run its own newest build (an image of the other's registry would be a problem).
          for (const [i, lane] of targets.entries()) {
            const audit = await auditRun(
              ledger,
              lane,
              (runs[i] ?? []).map((b) => b.record.sequence),
            );
            if (audit.problems.length > 0) {
              failures.push({
                trial,
                problems: audit.problems.map((p) => `${lane.service}: ${p}`),
                states: audit.states,
              });
            }
          }
        }

        const count = (kind: string) => outcomes.get(kind) ?? 0;
        recordDrill(
          "deploy-races",
          {
            id: "drill-deploy-races",
            title: `Deploy races drill (${formName} form)`,
            method:
              `${trials} trials of ${buildsPerTrial} builds of each of two services (chat and greeter) of one stage finishing together: ` +
              `their real CodeBuild SUCCEEDED events (${deliveries} deliveries, a third duplicated) interleaved, shuffled and started within ` +
              `${spreadMs} ms of each other through one deploy function handler serving both services, against 2 Deployments per service on the ` +
              `local control plane as the restricted deployer; both lanes number their builds alike; the DynamoDB ledger on moto. Seed ${seed}.`,
            rows: [
              { name: "trials", unit: "trials", median: trials },
              { name: "deliveries", unit: "events", median: deliveries },
              { name: "services", unit: "lanes", median: targets.length },
              {
                name: "trials ending on the wrong digest or ledger state",
                unit: "trials",
                median: failures.length,
              },
              { name: "succeeded", unit: "outcomes", median: count("succeeded") },
              { name: "superseded", unit: "outcomes", median: count("superseded") },
              {
                name: "duplicate",
                unit: "outcomes",
                median: count("duplicate"),
                note: "redeliveries and late losers",
              },
              {
                name: "trial duration",
                unit: "ms",
                median: median(trialMs),
                p99: percentile(trialMs, 99),
                note: "first delivery to the last outcome",
              },
              { name: "handler errors", unit: "events", median: thrown.length },
            ],
          },
          `${trials} trials, ${deliveries} deliveries, seed ${seed}; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}; ` +
            `trial p50 ${median(trialMs).toFixed(0)} ms; ${failures.length} failed trials`,
        );

        expect(thrown).toEqual([]);
        expect(failures.slice(0, 3)).toEqual([]);
        // Every build is either the one that ran or one that lost; each trial has one winner.
        expect(count("succeeded")).toBeGreaterThanOrEqual(trials * targets.length);
        // Two services' rollouts per trial: the long form outlasts the drill project's 10 min.
      },
      trialsTimeoutMs,
    );
  },
);
