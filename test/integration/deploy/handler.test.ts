import { Logger } from "@aws-lambda-powertools/logger";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createMemoryRegistry } from "@slipway/aws/testing";
import type { DeployDeps, DeployTarget } from "@slipway/core";
import { oneServiceStage } from "@slipway/core";
import { createGitHubClient, createGitHubReporter } from "@slipway/github";
import { createGitHubStandIn, type GitHubStandIn } from "@slipway/github/testing";
import { createDynamoLedger, createLedgerTable } from "@slipway/ledger";
import { digestImage, seedDeployment } from "@slipway/ledger/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeployHandler } from "../../../functions/deploy/deploy-handler.ts";
import { createRecheckHandler } from "../../../functions/recheck/recheck-handler.ts";
import { buildEventFor } from "../../events/codebuild/fixtures.ts";
import { type MotoServer, motoInstalled, startMoto } from "../../harness/moto.ts";
import { serverAvailable } from "../../harness/requirements.ts";
import {
  createStageWorkloads,
  type createWorkloads,
  deleteWorkloads,
  deployerWorkloads,
  holdNewPods,
  imageOf,
  waitForComplete,
} from "./cluster-kit.ts";

const registry = "127.0.0.1:5000/slipway-chat";
const token = "ghp_integrationTokenNeverLogged01";

describe.runIf(serverAvailable("moto (DynamoDB)", motoInstalled()))(
  "the deploy handler on the real control plane, with the DynamoDB ledger on moto",
  () => {
    let moto: MotoServer;
    let dynamo: DynamoDBClient;
    let kit: Awaited<ReturnType<typeof deployerWorkloads>>;
    let github: GitHubStandIn;
    let tables = 0;
    const created: Awaited<ReturnType<typeof createWorkloads>> = [];
    const logger = new Logger({ serviceName: "slipway-deploy", logLevel: "ERROR" });

    beforeAll(async () => {
      [moto, kit] = await Promise.all([startMoto(), deployerWorkloads()]);
      dynamo = new DynamoDBClient(moto.clientConfig);
    });

    afterAll(async () => {
      await deleteWorkloads(created);
      await kit?.proxy.stop();
      dynamo?.destroy();
      await moto?.stop();
    });

    async function setUp(rolloutTimeoutMs = 30_000) {
      const tableName = `ledger-${++tables}`;
      await createLedgerTable(dynamo, tableName);
      const ledger = createDynamoLedger({
        client: DynamoDBDocumentClient.from(dynamo),
        tableName,
      });
      const deployments = await createStageWorkloads("handler", digestImage(1, registry));
      created.push(...deployments);
      github = await createGitHubStandIn({ tokens: [token] });
      const target: DeployTarget = {
        stage: "dev",
        service: "chat",
        deployments,
        environmentUrl: "https://chat.example.test",
        production: false,
        imageRepository: registry,
      };
      const deps: DeployDeps = {
        ledger,
        workloads: kit.workloads,
        github: createGitHubReporter({
          octokit: createGitHubClient({ kind: "token", token }, { fetch: github.fetch }),
        }),
        target,
        registry: createMemoryRegistry({ holdsEverything: true }),
        log: logger,
        now: () => new Date(),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        random: Math.random,
        rolloutTimeoutMs,
      };
      return { deps, ledger, deployments };
    }

    it("rolls a build out, and a redelivered event sends no patch and no GitHub call", async () => {
      const { deps, ledger, deployments } = await setUp();
      const handler = createDeployHandler(oneServiceStage(deps), logger);
      const record = await seedDeployment(ledger, {
        stage: "dev",
        sequence: 7,
        githubDeploymentId: null,
      });
      const event = buildEventFor("succeeded", { ...record, image: digestImage(7, registry) });
      const first = await handler(event);
      const before = { requests: kit.proxy.requests.length, github: github.calls.length };

      const again = await handler(structuredClone(event));

      expect(first).toMatchObject({ kind: "succeeded" });
      expect(again).toEqual({ kind: "duplicate", state: "succeeded" });
      // The ledger already says succeeded: Kubernetes is not even read.
      expect(kit.proxy.requests.slice(before.requests)).toEqual([]);
      expect(github.calls.length).toBe(before.github);
      expect(github.violations).toEqual([]);
      for (const t of deployments) expect(await imageOf(t)).toBe(digestImage(7, registry));
    });

    it("records a failed build and patches nothing", async () => {
      const { deps, ledger, deployments } = await setUp();
      const handler = createDeployHandler(oneServiceStage(deps), logger);
      const record = await seedDeployment(ledger, {
        stage: "dev",
        sequence: 3,
        githubDeploymentId: null,
      });
      const before = kit.proxy.requests.length;

      const result = await handler(buildEventFor("failed", record));

      expect(result).toEqual({ kind: "build-failed", status: "failed" });
      expect(kit.proxy.requests.slice(before)).toEqual([]);
      expect(await ledger.get({ stage: "dev", service: "chat", sequence: 3 })).toMatchObject({
        state: "failed",
      });
      for (const t of deployments) expect(await imageOf(t)).toBe(digestImage(1, registry));
    });

    it("gives a rollout that outlives the function its outcome through the scheduled re-check", async () => {
      // No new pod can start until the function has returned: its rollout outlives it by
      // construction, as a 10-minute one would, however loaded the machine (a wall-clock
      // bound below the rollout's duration was not: a slow run saw it complete).
      const { deps, ledger, deployments } = await setUp(1_000);
      const record = await seedDeployment(ledger, {
        stage: "dev",
        sequence: 9,
        githubDeploymentId: null,
      });
      const release = await holdNewPods();
      const outlived = await createDeployHandler(
        oneServiceStage(deps),
        logger,
      )(buildEventFor("succeeded", { ...record, image: digestImage(9, registry) })).finally(
        release,
      );
      const released = Date.now();
      await Promise.all(deployments.map((t) => waitForComplete(t)));
      const recheck = createRecheckHandler(
        oneServiceStage(deps),
        { followMs: 10_000, settleAfterMs: 0 },
        logger,
      );

      const results = await recheck({});

      expect(outlived).toMatchObject({ kind: "rolling" });
      // Concluded by the re-check, after the pods could start: never by the function itself.
      const concluded = await ledger.get({ stage: "dev", service: "chat", sequence: 9 });
      expect(concluded?.transitions.map((t) => t.state)).toEqual([
        "queued",
        "building",
        "deploying",
        "succeeded",
      ]);
      expect(Date.parse(concluded?.transitions.at(-1)?.at ?? "")).toBeGreaterThanOrEqual(released);
      expect(results).toMatchObject([{ sequence: 9, outcome: { kind: "succeeded" } }]);
      expect(await ledger.get({ stage: "dev", service: "chat", sequence: 9 })).toMatchObject({
        state: "succeeded",
      });
      const states = github
        .callsOf("repos/create-deployment-status")
        .map((c) => (c.body as { state: string }).state);
      expect(states).toEqual(["in_progress", "success"]);
    });
  },
);
