import { CodeBuildClient, StartBuildCommand, StopBuildCommand } from "@aws-sdk/client-codebuild";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { codebuildLogUrl } from "@slipway/aws";
import { createGitHubStandIn, type GitHubStandIn } from "@slipway/github/testing";
import { deploymentRecord } from "@slipway/ledger/testing";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from "aws-lambda";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type DeliveryOptions,
  functionUrlDelivery,
  githubPayload,
  signatureOf,
} from "../../test/events/github/fixtures.ts";
import { captureOutput } from "../../test/harness/captured-output.ts";

const secret = "unit-test-webhook-secret-7f3a9c";
const githubToken = "ghp_unitTestTokenNeverLogged0123";
const sha = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
const buildId = "slipway-production:0b0f1c2d-3e4f-5a6b-7c8d-9e0f1a2b3c4d";
const buildArn = `arn:aws:codebuild:eu-west-1:123456789012:build/${buildId}`;
const stageConfig = {
  stages: [
    {
      name: "production",
      service: "chat",
      repository: { fullName: "Codertocat/Hello-World", id: 186853002 },
      branches: ["master"],
      codebuildProject: "slipway-production",
      imageRepository: "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-production",
      deployments: [{ namespace: "chat", name: "chat-server", container: "server" }],
      environmentUrl: "https://chat.example.com",
      production: true,
      stopOlderBuilds: true,
    },
  ],
};

const codebuild = mockClient(CodeBuildClient);
const dynamo = mockClient(DynamoDBDocumentClient);
let github: GitHubStandIn;
let handler: (event: LambdaFunctionURLEvent) => Promise<LambdaFunctionURLResult>;
let logLines: string[];

beforeAll(async () => {
  vi.stubEnv("WEBHOOK_SECRET", secret);
  vi.stubEnv("GITHUB_TOKEN", githubToken);
  // Never reached: fetch is the in-process stand-in; a slip would fail DNS, not hit GitHub.
  vi.stubEnv("GITHUB_API_URL", "https://github.stand-in.invalid");
  vi.stubEnv("LEDGER_TABLE", "slipway-ledger");
  vi.stubEnv("STAGE_CONFIG", JSON.stringify(stageConfig));
  vi.stubEnv("WEBHOOK_MAX_BODY_BYTES", String(64 * 1024));
  vi.stubEnv("AWS_REGION", "eu-west-1");
  ({ handler } = await import("./handler.ts"));
});

beforeEach(async () => {
  codebuild.reset();
  dynamo.reset();
  github = await createGitHubStandIn({ tokens: [githubToken] });
  vi.stubGlobal("fetch", github.fetch);
  // What DynamoDB answers on the accepted path: claim, sequence 7, record, nothing in flight.
  dynamo.on(PutCommand).resolves({});
  dynamo.on(UpdateCommand).resolves({ Attributes: { sequenceValue: 7 } });
  dynamo.on(TransactWriteCommand).resolves({});
  dynamo.on(QueryCommand).resolves({ Items: [] });
  codebuild.on(StartBuildCommand).resolves({ build: { id: buildId, arn: buildArn } });
  logLines = captureOutput();
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

let deliveries = 0;
function push(overrides: Partial<DeliveryOptions> = {}): LambdaFunctionURLEvent {
  return functionUrlDelivery({
    event: "push",
    deliveryId: `00000000-0000-4000-8000-${String(++deliveries).padStart(12, "0")}`,
    body: githubPayload("push-branch"),
    secret,
    ...overrides,
  });
}

async function call(event: LambdaFunctionURLEvent) {
  const response = (await handler(event)) as { statusCode: number; body: string };
  return { status: response.statusCode, body: JSON.parse(response.body) };
}

function expectNothingSent() {
  expect(codebuild).not.toHaveReceivedAnyCommand();
  expect(dynamo).not.toHaveReceivedAnyCommand();
  expect(github.calls).toEqual([]);
}

describe("webhook handler: accepted pushes", () => {
  it("starts exactly one build of the pushed SHA with the delivery id as idempotency token", async () => {
    // Prepare
    const event = push();
    const deliveryId = event.headers["x-github-delivery"];

    // Act
    const response = await call(event);

    // Assess
    expect(response).toEqual({
      status: 202,
      body: {
        buildId,
        stage: "production",
        service: "chat",
        sequence: 7,
        githubReport: "reported",
        superseded: [],
      },
    });
    expect(codebuild).toHaveReceivedCommandTimes(StartBuildCommand, 1);
    expect(codebuild).toHaveReceivedCommandWith(StartBuildCommand, {
      projectName: "slipway-production",
      sourceVersion: sha,
      idempotencyToken: `${deliveryId}/chat`,
      environmentVariablesOverride: [
        { name: "SLIPWAY_COMMIT", value: sha, type: "PLAINTEXT" },
        { name: "SLIPWAY_STAGE", value: "production", type: "PLAINTEXT" },
        { name: "SLIPWAY_SERVICE", value: "chat", type: "PLAINTEXT" },
        { name: "SLIPWAY_DELIVERY_ID", value: String(deliveryId), type: "PLAINTEXT" },
        { name: "SLIPWAY_SEQUENCE", value: "7", type: "PLAINTEXT" },
      ],
    });
  });

  it("claims the delivery with a conditional write kept past GitHub's 3-day redelivery window", async () => {
    const event = push();
    const before = Date.now();

    await call(event);

    const claim = dynamo.commandCalls(PutCommand)[0]?.args[0].input;
    expect(claim).toMatchObject({
      TableName: "slipway-ledger",
      Item: {
        pk: `DELIVERY#${event.headers["x-github-delivery"]}#chat`,
        deliveryState: "claimed",
      },
      ConditionExpression: expect.stringContaining("attribute_not_exists(#pk)"),
    });
    const expiresAt = Number(claim?.Item?.expiresAt) * 1000;
    expect(expiresAt - before).toBeGreaterThan(3 * 24 * 60 * 60 * 1000);
    expect(dynamo).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
  });

  it("creates a GitHub Deployment for the stage, queued, linking the build log", async () => {
    await call(push());

    const logUrl = codebuildLogUrl(buildArn);
    expect(github.callsOf("repos/create-deployment")).toEqual([
      expect.objectContaining({
        params: { owner: "Codertocat", repo: "Hello-World" },
        body: expect.objectContaining({
          ref: sha,
          environment: "production/chat",
          production_environment: true,
        }),
      }),
    ]);
    expect(github.callsOf("repos/create-deployment-status")).toEqual([
      expect.objectContaining({
        body: {
          state: "queued",
          description: "Build #7 queued",
          log_url: logUrl,
          environment_url: "https://chat.example.com",
        },
        status: 201,
      }),
    ]);
    expect(github.callsOf("repos/create-commit-status")).toEqual([
      expect.objectContaining({
        params: { owner: "Codertocat", repo: "Hello-World", sha },
        body: expect.objectContaining({
          state: "pending",
          context: "slipway/production/chat",
          target_url: logUrl,
        }),
      }),
    ]);
    expect(github.violations).toEqual([]);
  });

  it("accepts a base64-encoded body", async () => {
    const response = await call(push({ base64: true }));

    expect(response.status).toBe(202);
    expect(codebuild).toHaveReceivedCommandTimes(StartBuildCommand, 1);
  });

  it("keeps the build when GitHub is down and answers that the report is pending", async () => {
    github.outage = 503;

    const response = await call(push());

    expect(response).toMatchObject({ status: 202, body: { buildId, githubReport: "pending" } });
    expect(codebuild).toHaveReceivedCommandTimes(StartBuildCommand, 1);
    expect(dynamo).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
  });

  it("supersedes an older in-flight build of the stage and stops it", async () => {
    const older = deploymentRecord({ sequence: 6, buildId: "slipway-production:older" });
    const olderItem = { pk: "LANE#production#chat", sk: "DEPLOYMENT#000000000006", ...older };
    dynamo.on(QueryCommand).resolves({ Items: [olderItem] });
    dynamo.on(UpdateCommand, { ReturnValues: "ALL_NEW" }).resolves({
      Attributes: { ...olderItem, state: "superseded", supersededBy: 7 },
    });
    codebuild.on(StopBuildCommand).resolves({});

    const response = await call(push());

    expect(response.body).toMatchObject({ sequence: 7, superseded: [6] });
    expect(codebuild).toHaveReceivedCommandWith(StopBuildCommand, {
      id: "slipway-production:older",
    });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { pk: "LANE#production#chat", sk: "DEPLOYMENT#000000000006" },
      ConditionExpression: "attribute_exists(#pk) AND #state IN (:from0, :from1, :from2)",
    });
  });

  it("answers a redelivery as a duplicate naming the first build, and starts nothing", async () => {
    // DynamoDB refuses the claim and returns the delivery as stored (ALL_OLD).
    const taken = new ConditionalCheckFailedException({
      message: "The conditional request failed",
      $metadata: {},
      Item: { deliveryState: { S: "started" }, startedBuildId: { S: buildId } },
    });
    dynamo.on(PutCommand).rejects(taken);

    const response = await call(push());

    expect(response).toEqual({ status: 202, body: { duplicate: true, buildId } });
    expect(codebuild).not.toHaveReceivedAnyCommand();
    expect(dynamo).not.toHaveReceivedCommand(TransactWriteCommand);
    expect(github.calls).toEqual([]);
  });

  it("answers 500 and records nothing when CodeBuild refuses the build", async () => {
    codebuild.on(StartBuildCommand).rejects(new Error("AccountLimitExceededException"));

    const response = await call(push());

    expect(response).toEqual({
      status: 500,
      body: { error: "internal", message: "could not process the delivery; redeliver it" },
    });
    expect(dynamo).not.toHaveReceivedCommand(TransactWriteCommand);
    expect(github.calls).toEqual([]);
  });
});

describe("webhook handler: rejected requests start nothing and write nothing", () => {
  it("answers 401 when the signature header is missing", async () => {
    const response = await call(push({ secret: undefined }));

    expect(response).toMatchObject({ status: 401, body: { error: "invalid-signature" } });
    expectNothingSent();
  });

  it("answers 401 when the body was signed with another secret", async () => {
    const response = await call(push({ secret: "another-secret-of-enough-length" }));

    expect(response.status).toBe(401);
    expectNothingSent();
  });

  it("answers 401 when one byte of a signed body is flipped", async () => {
    // Prepare: sign the real payload, then flip one bit of one byte after signing.
    const body = Buffer.from(JSON.stringify(githubPayload("push-branch")));
    const signature = signatureOf(secret, body);
    const flipped = Buffer.from(body);
    flipped[200] = (flipped[200] ?? 0) ^ 0x20;

    // Act
    const response = await call(push({ body: flipped, signature, base64: true }));

    // Assess
    expect(response.status).toBe(401);
    expectNothingSent();
  });

  it("answers 413 for a body over the limit, before verifying it", async () => {
    const payload = githubPayload("push-branch");
    payload.head_commit.message = "x".repeat(64 * 1024);

    const response = await call(push({ body: payload }));

    expect(response).toMatchObject({ status: 413, body: { error: "payload-too-large" } });
    expectNothingSent();
  });

  it("answers 400 for a signed body that is not JSON", async () => {
    const response = await call(push({ body: "payload=%7B%22ref%22%7D" }));

    expect(response).toMatchObject({ status: 400, body: { error: "malformed-request" } });
    expectNothingSent();
  });

  it("answers 415 for a form-encoded delivery, naming the content type to set", async () => {
    const json = JSON.stringify(githubPayload("push-branch"));
    const body = `payload=${encodeURIComponent(json)}`;
    const event = push({ body });
    event.headers["content-type"] = "application/x-www-form-urlencoded";

    const response = await call(event);

    expect(response).toMatchObject({
      status: 415,
      body: {
        error: "unsupported-content-type",
        message: expect.stringContaining("set it to application/json"),
      },
    });
    expectNothingSent();
  });

  it("answers 403 for a validly signed push of another repository, naming both, and starts nothing", async () => {
    const payload = githubPayload("push-branch");
    payload.repository = { ...payload.repository, id: 1296269, full_name: "octocat/Hello-World" };

    const response = await call(push({ body: payload }));

    expect(response).toMatchObject({
      status: 403,
      body: {
        error: "foreign-repository",
        message: expect.stringContaining(
          "no service is declared in octocat/Hello-World (id 1296269); this webhook builds Codertocat/Hello-World (id 186853002)",
        ),
      },
    });
    expectNothingSent();
  });

  it("answers 400 for a signed push payload without a ref, naming the field", async () => {
    const payload = githubPayload("push-branch");
    delete payload.ref;

    const response = await call(push({ body: payload }));

    expect(response).toMatchObject({
      status: 400,
      body: { error: "malformed-payload", message: expect.stringContaining("ref") },
    });
    expectNothingSent();
  });

  it("answers 400 for a signed delivery without X-GitHub-Delivery", async () => {
    const event = push();
    delete event.headers["x-github-delivery"];

    const response = await call(event);

    expect(response.status).toBe(400);
    expectNothingSent();
  });
});

describe("webhook handler: deliveries that start nothing", () => {
  it("answers a ping with 200", async () => {
    const response = await call(push({ event: "ping", body: githubPayload("ping") }));

    expect(response).toEqual({ status: 200, body: { message: "pong" } });
    expectNothingSent();
  });

  it("answers an event that is not a push with 202 and the reason", async () => {
    const response = await call(push({ event: "issues", body: githubPayload("issues-opened") }));

    expect(response).toEqual({ status: 202, body: { skipped: "not-a-push" } });
    expectNothingSent();
  });

  const branchPush = () => githubPayload("push-branch");
  it.each([
    ["a created tag", () => githubPayload("push-tag"), "tag"],
    ["a deleted tag", () => githubPayload("push-tag-deleted"), "tag"],
    [
      "a deleted branch",
      () => ({ ...branchPush(), deleted: true, after: "0".repeat(40), head_commit: null }),
      "branch-deleted",
    ],
    [
      "a head commit saying [skip ci]",
      () => {
        const p = branchPush();
        p.head_commit.message = "Update README [skip ci]";
        return p;
      },
      "skip-ci",
    ],
    [
      "a head commit saying [ci skip]",
      () => {
        const p = branchPush();
        p.head_commit.message = "[ci skip] typo";
        return p;
      },
      "skip-ci",
    ],
    [
      "an unmapped branch",
      () => ({ ...branchPush(), ref: "refs/heads/experiment" }),
      "unmapped-branch",
    ],
  ])("answers 202 for %s and starts nothing", async (_, payload, reason) => {
    const response = await call(push({ body: payload() }));

    expect(response).toEqual({ status: 202, body: { skipped: reason } });
    expectNothingSent();
  });
});

describe("webhook handler: logs and metrics", () => {
  it("logs every delivery with its delivery id and never a secret", async () => {
    // Prepare
    const accepted = push();
    github.outage = 502;

    // Act: an accepted push during a GitHub outage, then a forged request.
    await call(accepted);
    await call(push({ secret: "forged-secret-of-enough-length" }));

    // Assess
    const output = logLines.join("");
    expect(output).not.toContain(secret);
    expect(output).not.toContain(githubToken);
    const logs = logLines
      .flatMap((chunk) => chunk.split("\n"))
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line));
    const answered = logs.find((l) => l.message === "delivery answered");
    expect(answered).toMatchObject({
      deliveryId: accepted.headers["x-github-delivery"],
      statusCode: 202,
      service: "slipway-webhook",
    });
    expect(logs.find((l) => l.message?.startsWith("GitHub report failed"))).toMatchObject({
      deliveryId: accepted.headers["x-github-delivery"],
    });
    const refused = logs.find((l) => l.message === "delivery refused");
    expect(refused).toMatchObject({ statusCode: 401, outcome: "unauthorized" });
    expect(refused).not.toHaveProperty("deliveryId");
  });

  it("emits one Deliveries metric per delivery with its outcome", async () => {
    await call(push());

    const metrics = logLines
      .flatMap((chunk) => chunk.split("\n"))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line));
    expect(metrics).toEqual([
      expect.objectContaining({
        Outcome: "accepted",
        Deliveries: 1,
        _aws: expect.objectContaining({
          CloudWatchMetrics: [expect.objectContaining({ Namespace: "Slipway" })],
        }),
      }),
    ]);
  });
});
