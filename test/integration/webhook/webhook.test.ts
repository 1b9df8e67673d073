import {
  CodeBuildClient,
  StartBuildCommand,
  type StartBuildCommandInput,
  StopBuildCommand,
} from "@aws-sdk/client-codebuild";
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Ledger } from "@slipway/core";
import { createGitHubStandIn, type GitHubStandIn } from "@slipway/github/testing";
import { createDynamoLedger, createLedgerTable } from "@slipway/ledger";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { functionUrlDelivery, githubPayload } from "../../events/github/fixtures.ts";
import { type MotoServer, motoInstalled, startMoto } from "../../harness/moto.ts";
import { serverAvailable } from "../../harness/requirements.ts";

const secret = "integration-webhook-secret-5b1f6c3e";
const githubToken = "ghp_integrationTokenNeverLogged42";
const table = "slipway-ledger-webhook";
const target = [{ namespace: "chat", name: "chat-server", container: "server" }];
// One stage per scenario, so scenarios sharing the handler's table stay independent.
const stageConfig = {
  stages: ["production", "redeliveries", "race", "outage", "forged", "replays"].map((name) => ({
    name,
    service: "chat",
    repository: { fullName: "Codertocat/Hello-World", id: 186853002 },
    branches: [name === "production" ? "master" : `${name}/**`],
    codebuildProject: `slipway-${name}`,
    imageRepository: `123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-${name}`,
    deployments: target,
    stopOlderBuilds: name === "race",
  })),
};

/** CodeBuild as far as idempotency goes: the same token returns the same build. */
const codebuild = mockClient(CodeBuildClient);
function fakeCodeBuild() {
  codebuild.reset();
  codebuild.on(StartBuildCommand).callsFake((input: StartBuildCommandInput) => {
    const id = `${input.projectName}:${input.idempotencyToken}`;
    return { build: { id, arn: `arn:aws:codebuild:us-east-1:123456789012:build/${id}` } };
  });
  codebuild.on(StopBuildCommand).resolves({});
}

describe.runIf(serverAvailable("moto (DynamoDB)", motoInstalled()))(
  "webhook handler on a real ledger (moto) and GitHub's contract (stand-in over HTTP)",
  () => {
    let moto: MotoServer;
    let dynamo: DynamoDBClient;
    let ledger: Ledger;
    let github: GitHubStandIn;
    let githubServer: { baseUrl: string; close(): Promise<void> };
    let handler: (event: LambdaFunctionURLEvent) => Promise<LambdaFunctionURLResult>;
    let deliveries = 0;

    beforeAll(async () => {
      [moto, github] = await Promise.all([
        startMoto(),
        createGitHubStandIn({ tokens: [githubToken] }),
      ]);
      githubServer = await github.listen();
      dynamo = new DynamoDBClient(moto.clientConfig);
      await createLedgerTable(dynamo, table);
      ledger = createDynamoLedger({
        client: DynamoDBDocumentClient.from(dynamo),
        tableName: table,
      });
      vi.stubEnv("WEBHOOK_SECRET", secret);
      vi.stubEnv("GITHUB_TOKEN", githubToken);
      vi.stubEnv("GITHUB_API_URL", githubServer.baseUrl);
      vi.stubEnv("LEDGER_TABLE", table);
      vi.stubEnv("STAGE_CONFIG", JSON.stringify(stageConfig));
      vi.stubEnv("AWS_REGION", moto.clientConfig.region);
      vi.stubEnv("AWS_ACCESS_KEY_ID", "testing");
      vi.stubEnv("AWS_SECRET_ACCESS_KEY", "testing");
      vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", moto.endpoint);
      // moto answers one request at a time, so 20 racing pushes queue far longer than on AWS.
      vi.stubEnv("AWS_CALL_TIMEOUT_MS", "60000");
      vi.stubEnv("POWERTOOLS_LOG_LEVEL", "SILENT");
      vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "true");
      ({ handler } = await import("../../../functions/webhook/handler.ts"));
    });

    afterAll(async () => {
      vi.unstubAllEnvs();
      dynamo?.destroy();
      await Promise.all([githubServer?.close(), moto?.stop()]);
    });

    beforeEach(() => {
      fakeCodeBuild();
      github.outage = undefined;
    });

    function push(branch: string, options: { deliveryId?: string; secret?: string } = {}) {
      const payload = githubPayload("push-branch");
      payload.ref = `refs/heads/${branch}`;
      return functionUrlDelivery({
        event: "push",
        deliveryId:
          options.deliveryId ?? `6d3c6f00-0000-4000-8000-${String(++deliveries).padStart(12, "0")}`,
        body: payload,
        secret: options.secret ?? secret,
      });
    }

    async function call(event: LambdaFunctionURLEvent) {
      const response = (await handler(event)) as { statusCode: number; body: string };
      return { status: response.statusCode, body: JSON.parse(response.body) };
    }

    it("accepts a signed push: one build, a queued ledger record and a queued GitHub Deployment", async () => {
      // Act
      const event = push("master");
      const response = await call(event);

      // Assess
      const deliveryId = event.headers["x-github-delivery"];
      expect(response).toMatchObject({
        status: 202,
        body: {
          buildId: `slipway-production:${deliveryId}/chat`,
          sequence: 1,
          githubReport: "reported",
        },
      });
      expect(codebuild).toHaveReceivedCommandTimes(StartBuildCommand, 1);
      const record = await ledger.latest({ stage: "production", service: "chat" });
      expect(record).toMatchObject({
        deliveryId,
        sequence: 1,
        state: "queued",
        buildId: response.body.buildId,
        githubReport: "reported",
        githubDeploymentId: expect.any(Number),
      });
      const [status] = github.callsOf("repos/create-deployment-status");
      expect(status).toMatchObject({
        params: { deployment_id: String(record?.githubDeploymentId) },
        body: { state: "queued", log_url: record?.logUrl },
      });
      expect(github.violations).toEqual([]);
    });

    it("starts exactly one build for 50 concurrent redeliveries of one delivery", async () => {
      const event = push("redeliveries/main");

      const responses = await Promise.all(Array.from({ length: 50 }, () => call(event)));

      expect(responses.every((r) => r.status === 202)).toBe(true);
      expect(responses.filter((r) => r.body.duplicate === true)).toHaveLength(49);
      expect(codebuild).toHaveReceivedCommandTimes(StartBuildCommand, 1);
      expect(await ledger.history({ stage: "redeliveries", service: "chat" })).toHaveLength(1);
      const again = await call(event);
      expect(again.body).toEqual({
        duplicate: true,
        buildId: `slipway-redeliveries:${event.headers["x-github-delivery"]}/chat`,
      });
    });

    it("gives 20 concurrent pushes to one stage distinct increasing sequences; only the newest stays in flight", async () => {
      const events = Array.from({ length: 20 }, (_, i) => push(`race/${i}`));

      const responses = await Promise.all(events.map(call));

      const sequences = responses.map((r) => r.body.sequence as number).sort((a, b) => a - b);
      expect(sequences).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(codebuild).toHaveReceivedCommandTimes(StartBuildCommand, 20);
      const inFlight = await ledger.inFlight({ stage: "race", service: "chat" });
      expect(inFlight.map((r) => r.sequence)).toEqual([20]);
      const history = await ledger.history({ stage: "race", service: "chat" });
      expect(history.filter((r) => r.state === "superseded")).toHaveLength(19);
      expect(codebuild).toHaveReceivedCommandTimes(StopBuildCommand, 19);
      expect(github.violations).toEqual([]);
    });

    it("keeps the build during a GitHub outage and records the report as pending", async () => {
      github.outage = 503;

      const response = await call(push("outage/main"));

      expect(response).toMatchObject({ status: 202, body: { githubReport: "pending" } });
      expect(codebuild).toHaveReceivedCommandTimes(StartBuildCommand, 1);
      expect(await ledger.latest({ stage: "outage", service: "chat" })).toMatchObject({
        state: "queued",
        githubReport: "pending",
      });
    });

    it("writes nothing and starts nothing for a forged delivery", async () => {
      const count = async () =>
        (await dynamo.send(new ScanCommand({ TableName: table, Select: "COUNT" }))).Count;
      const before = await count();
      const callsBefore = github.calls.length;

      const response = await call(push("forged/main", { secret: "a-forger-does-not-know-it" }));

      expect(response.status).toBe(401);
      expect(await count()).toBe(before);
      expect(codebuild).not.toHaveReceivedAnyCommand();
      expect(github.calls).toHaveLength(callsBefore);
    });

    it("refuses an old body replayed under a new delivery id and an older push, yet deploys a new force-push of an old commit", async () => {
      const pushedAt = githubPayload("push-branch").repository.pushed_at as number;
      const signed = (after: string, seconds: number, deliveryId: string) => {
        const payload = githubPayload("push-branch");
        payload.ref = "refs/heads/replays/main";
        payload.after = after;
        payload.repository.pushed_at = seconds;
        return functionUrlDelivery({ event: "push", deliveryId, body: payload, secret });
      };
      const oldCommit = "a".repeat(40);
      const first = signed(oldCommit, pushedAt, "replay-original-0001");
      await call(first);
      const newest = signed("b".repeat(40), pushedAt + 60, "replay-newer-0002");
      await call(newest);

      // Bodies and signatures resent under fresh delivery ids: the newest push's is claimed
      // already; the first one's is older than the newest (caught even once its claim expires).
      const replay = await call({
        ...newest,
        headers: { ...newest.headers, "x-github-delivery": "replay-attacker-0003" },
      });
      const oldReplay = await call({
        ...first,
        headers: { ...first.headers, "x-github-delivery": "replay-attacker-0006" },
      });
      const older = await call(signed("c".repeat(40), pushedAt + 30, "replay-older-0004"));
      const revert = await call(signed(oldCommit, pushedAt + 120, "replay-revert-0005"));

      expect(replay).toMatchObject({
        status: 409,
        body: { error: "replayed", message: expect.stringContaining("replay-newer-0002") },
      });
      expect(oldReplay).toMatchObject({ status: 409, body: { error: "stale-push" } });
      expect(older).toMatchObject({ status: 409, body: { error: "stale-push" } });
      expect(revert).toMatchObject({ status: 202, body: { sequence: 3 } });
      expect(codebuild).toHaveReceivedCommandTimes(StartBuildCommand, 3);
      expect(
        (await ledger.history({ stage: "replays", service: "chat" })).map((r) => r.commit),
      ).toEqual([oldCommit, "b".repeat(40), oldCommit]);
    });

    it("refuses a validly signed push of another repository with 403, writing and starting nothing", async () => {
      const count = async () =>
        (await dynamo.send(new ScanCommand({ TableName: table, Select: "COUNT" }))).Count;
      const before = await count();
      const payload = githubPayload("push-branch");
      payload.repository.id = 1296269;
      payload.repository.full_name = "octocat/Hello-World";

      const response = await call(
        functionUrlDelivery({ event: "push", deliveryId: "foreign-0001", body: payload, secret }),
      );

      expect(response).toMatchObject({ status: 403, body: { error: "foreign-repository" } });
      expect(await count()).toBe(before);
      expect(codebuild).not.toHaveReceivedAnyCommand();
    });
  },
);
