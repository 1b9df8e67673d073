import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { createMemoryRegistry } from "@slipway/aws/testing";
import {
  DeployAnnotation,
  type DeployTarget,
  LifecycleDetail,
  lifecycleDetailType,
  lifecycleEventSource,
  type StageDeploys,
} from "@slipway/core";
import { createFakeGitHub } from "@slipway/github/testing";
import { createMemoryWorkloads } from "@slipway/kube/testing";
import { createMemoryLedger, digestImage, seedDeployment } from "@slipway/ledger/testing";
import { publishingLedger } from "@slipway/wiring";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { buildEventFor } from "../../test/events/codebuild/fixtures.ts";
import { captureOutput } from "../../test/harness/captured-output.ts";
import { createDeployHandler } from "./deploy-handler.ts";

const server = { namespace: "chat", name: "chat-server", container: "server" };
const target: DeployTarget = {
  stage: "dev",
  service: "chat",
  deployments: [server],
  environmentUrl: "https://chat.example.test",
  production: false,
  imageRepository: "registry.example.test/slipway-chat",
};
const eventBridge = mockClient(EventBridgeClient);
let logLines: string[];

beforeEach(() => {
  eventBridge.reset();
  logLines = captureOutput();
});
afterEach(() => vi.restoreAllMocks());

/** The real deploy handler over a publishing ledger whose EventBridge client is mocked. */
async function kit(sequence: number, githubDeploymentId?: null) {
  const ledger = createMemoryLedger();
  const record = await seedDeployment(ledger, {
    stage: "dev",
    sequence,
    ...(githubDeploymentId === null ? { githubDeploymentId } : {}),
  });
  const workloads = createMemoryWorkloads();
  workloads.add(server, digestImage(0xb007));
  const logger = new Logger({ serviceName: "slipway-deploy" });
  const github = createFakeGitHub();
  const published = publishingLedger(ledger, {
    client: new EventBridgeClient({ region: "us-east-1" }),
    busName: "slipway-dev-Lifecycle",
    stage: "dev",
    metric: {
      metrics: new Metrics({ namespace: "Slipway", serviceName: "slipway" }),
      name: "LifecyclePublishFailures",
    },
    logger,
    links: { appUrl: "https://chat.example.test" },
  });
  const deps: StageDeploys & { settled(): Promise<void> } = {
    ledger: published,
    settled: () => published.settled(),
    github,
    workloads,
    targets: [target],
    registry: createMemoryRegistry({ holdsEverything: true }),
    log: logger,
    now: () => new Date("2026-11-26T10:15:00.000Z"),
    sleep: async () => {},
    random: () => 0,
    rolloutTimeoutMs: 2_000,
  };
  const image = digestImage(sequence);
  const event = buildEventFor("succeeded", { ...record, image });
  return { handler: createDeployHandler(deps, logger), record, image, event, workloads, github };
}

const sentEntries = () =>
  eventBridge.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []);
const logged = () => logLines.map((line) => JSON.parse(line) as Record<string, unknown>);

describe("deploy handler lifecycle events", () => {
  it("puts one schema-valid entry per state change on the Slipway bus before returning", async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] });
    const { handler, record, image, event } = await kit(7);

    await handler(event);

    const entries = sentEntries();
    expect(entries.map((e) => [e.EventBusName, e.Source, e.DetailType])).toEqual([
      ["slipway-dev-Lifecycle", lifecycleEventSource, lifecycleDetailType],
      ["slipway-dev-Lifecycle", lifecycleEventSource, lifecycleDetailType],
    ]);
    const details = entries.map((e) => LifecycleDetail.parse(JSON.parse(e.Detail ?? "")));
    expect(details).toEqual([
      {
        status: "deploying",
        stage: "dev",
        service: "chat",
        repository: `${record.repository.owner}/${record.repository.name}`,
        commit: record.commit,
        sequence: 7,
        deliveryId: record.deliveryId,
        buildId: record.buildId,
        imageDigest: image,
        at: "2026-11-26T10:15:00.000Z",
        links: {
          buildLog: record.logUrl,
          githubDeployment: `https://github.com/${record.repository.owner}/${record.repository.name}/deployments/dev%2Fchat`,
          appUrl: "https://chat.example.test",
        },
      },
      expect.objectContaining({ status: "succeeded", sequence: 7, deliveryId: record.deliveryId }),
    ]);
    expect(entries.map((e) => e.Time)).toEqual([
      new Date("2026-11-26T10:15:00.000Z"),
      new Date("2026-11-26T10:15:00.000Z"),
    ]);
  });

  it("retries only the entry that failed and loses nothing", async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" }],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-2" }] });
    const { handler, event } = await kit(8);

    const result = await handler(event);

    expect(result.kind).toBe("succeeded");
    const statuses = sentEntries().map((e) => JSON.parse(e.Detail ?? "").status);
    // The first deploying entry failed and was sent again; each call carried one entry.
    expect(statuses.sort()).toEqual(["deploying", "deploying", "succeeded"]);
    expect(logged().some((l) => l.message === "lifecycle event dropped")).toBe(false);
  });

  it("still deploys when the bus is down, and logs and counts every dropped event", async () => {
    eventBridge.on(PutEventsCommand).rejects(new Error("EventBridge unavailable"));
    const { handler, event, image, workloads } = await kit(9);

    const result = await handler(event);

    expect(result).toEqual({ kind: "succeeded", image });
    expect(workloads.state(server).image).toBe(image);
    const lines = logged();
    expect(lines.filter((l) => l.message === "lifecycle event dropped")).toHaveLength(2);
    const metrics = lines.filter((l) => "_aws" in l);
    expect(metrics).toHaveLength(2);
    expect(metrics[0]).toMatchObject({
      service: "slipway",
      stage: "dev",
      LifecyclePublishFailures: 1,
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: "Slipway",
            Dimensions: [expect.arrayContaining(["service", "stage"])],
            Metrics: [{ Name: "LifecyclePublishFailures", Unit: "Count" }],
          },
        ],
      },
    });
  }, 20_000);

  it("carries the push's delivery id in every log line, the annotations, GitHub's payload and every event", async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e" }] });
    const { handler, event, record, workloads, github } = await kit(10, null);

    await handler(event);

    const lines = logged().filter((l) => l.service === "slipway-deploy");
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.deliveryId === record.deliveryId)).toBe(true);
    expect(workloads.state(server).annotations[DeployAnnotation.deliveryId]).toBe(
      record.deliveryId,
    );
    expect(sentEntries().map((e) => JSON.parse(e.Detail ?? "").deliveryId)).toEqual([
      record.deliveryId,
      record.deliveryId,
    ]);
    expect(github.deployments.map((d) => d.payload.deliveryId)).toEqual([record.deliveryId]);
  });
});
