import { CodeBuildClient, StartBuildCommand } from "@aws-sdk/client-codebuild";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import {
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { LifecycleDetail, lifecycleDetailType, lifecycleEventSource } from "@slipway/core";
import { createGitHubStandIn } from "@slipway/github/testing";
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { functionUrlDelivery, githubPayload } from "../../test/events/github/fixtures.ts";

const secret = "unit-test-webhook-secret-7f3a9c";
const githubToken = "ghp_unitTestTokenNeverLogged0123";
const buildId = "slipway-production:0b0f1c2d-3e4f-5a6b-7c8d-9e0f1a2b3c4d";
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
      production: true,
    },
  ],
};
const codebuild = mockClient(CodeBuildClient);
const dynamo = mockClient(DynamoDBDocumentClient);
const eventBridge = mockClient(EventBridgeClient);
let handler: (event: LambdaFunctionURLEvent) => Promise<LambdaFunctionURLResult>;

beforeAll(async () => {
  vi.stubEnv("WEBHOOK_SECRET", secret);
  vi.stubEnv("GITHUB_TOKEN", githubToken);
  vi.stubEnv("GITHUB_API_URL", "https://github.stand-in.invalid");
  vi.stubEnv("LEDGER_TABLE", "slipway-ledger");
  vi.stubEnv("STAGE_CONFIG", JSON.stringify(stageConfig));
  vi.stubEnv("AWS_REGION", "eu-west-1");
  vi.stubEnv("SLIPWAY_STAGE", "production");
  vi.stubEnv("LIFECYCLE_BUS_NAME", "slipway-production-Lifecycle");
  vi.stubEnv("PUBLISH_FAILURE_METRIC", "Slipway/LifecyclePublishFailures");
  ({ handler } = await import("./handler.ts"));
});

beforeEach(async () => {
  for (const mock of [codebuild, dynamo, eventBridge]) mock.reset();
  const github = await createGitHubStandIn({ tokens: [githubToken] });
  vi.stubGlobal("fetch", github.fetch);
  dynamo.on(PutCommand).resolves({});
  dynamo.on(UpdateCommand).resolves({ Attributes: { sequenceValue: 7 } });
  dynamo.on(TransactWriteCommand).resolves({});
  dynamo.on(QueryCommand).resolves({ Items: [] });
  codebuild.on(StartBuildCommand).resolves({
    build: { id: buildId, arn: `arn:aws:codebuild:eu-west-1:123456789012:build/${buildId}` },
  });
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e" }] });
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  vi.spyOn(process.stderr, "write").mockImplementation(() => true);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe("webhook handler lifecycle events", () => {
  it("puts a queued event carrying the delivery id on the bus before answering GitHub", async () => {
    const deliveryId = "00000000-0000-4000-8000-000000000042";
    const body = githubPayload("push-branch");

    const response = await handler(
      functionUrlDelivery({ event: "push", deliveryId, body, secret }),
    );

    expect((response as { statusCode: number }).statusCode).toBe(202);
    const entries = eventBridge
      .commandCalls(PutEventsCommand)
      .flatMap((c) => c.args[0].input.Entries ?? []);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      EventBusName: "slipway-production-Lifecycle",
      Source: lifecycleEventSource,
      DetailType: lifecycleDetailType,
    });
    expect(LifecycleDetail.parse(JSON.parse(entries[0]?.Detail ?? ""))).toMatchObject({
      status: "queued",
      stage: "production",
      repository: body.repository.full_name,
      commit: body.after,
      sequence: 7,
      deliveryId,
      buildId,
    });
  });
});
