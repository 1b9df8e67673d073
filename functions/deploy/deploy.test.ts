import { Logger } from "@aws-lambda-powertools/logger";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DescribeImagesCommand,
  type DescribeImagesCommandInput,
  ECRClient,
  ImageNotFoundException,
  ServerException,
} from "@aws-sdk/client-ecr";
import { DescribeClusterCommand, EKSClient } from "@aws-sdk/client-eks";
import { createEcrImageRegistry } from "@slipway/aws";
import {
  type DeploymentState,
  type DeployTarget,
  type StageDeploys,
  TransientError,
} from "@slipway/core";
import { createGitHubClient, createGitHubReporter } from "@slipway/github";
import { createGitHubStandIn, type GitHubStandIn } from "@slipway/github/testing";
import { createMemoryWorkloads } from "@slipway/kube/testing";
import { createMemoryLedger, digestImage, seedDeployment } from "@slipway/ledger/testing";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { buildEvent, buildEventFor } from "../../test/events/codebuild/fixtures.ts";
import { captureOutput } from "../../test/harness/captured-output.ts";
import { createDeployHandler } from "./deploy-handler.ts";

const token = "ghp_unitTestTokenNeverLogged0123";
const server = { namespace: "chat", name: "chat-server", container: "server" };
const web = { namespace: "chat", name: "chat-web", container: "web" };
const repository = "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-dev";
/** The `n`th image of the stage's own ECR repository. */
const ours = (n: number) => digestImage(n, repository);
const target: DeployTarget = {
  stage: "dev",
  service: "chat",
  deployments: [server, web],
  environmentUrl: "https://chat.example.test",
  production: false,
  imageRepository: repository,
};
const bootImage = ours(0xb007);

let github: GitHubStandIn;
let logLines: string[];

beforeEach(async () => {
  github = await createGitHubStandIn({ tokens: [token] });
  logLines = captureOutput();
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const greeter = { namespace: "greeter", name: "greeter", container: "greeter" };
const greeterTarget: DeployTarget = {
  stage: "dev",
  service: "greeter",
  deployments: [greeter],
  production: false,
  imageRepository: target.imageRepository,
};

/**
 * The real handler over in-memory ledger and Deployments, GitHub's contract in-process, and
 * the real ECR adapter over a stubbed client that holds every digest unless a test says not.
 */
function handlerKit(targets: DeployTarget[] = [target]) {
  const ecrClient = new ECRClient({ region: "us-east-1" });
  const ecr = mockClient(ecrClient);
  ecr.on(DescribeImagesCommand).callsFake((input: DescribeImagesCommandInput) => ({
    imageDetails: (input.imageIds ?? []).map((id) => ({ imageDigest: id.imageDigest })),
  }));
  const ledger = createMemoryLedger();
  const workloads = createMemoryWorkloads();
  workloads.add(server, bootImage);
  workloads.add(web, bootImage);
  workloads.add(greeter, bootImage);
  const logger = new Logger({ serviceName: "slipway-deploy" });
  const deps: StageDeploys = {
    ledger,
    workloads,
    github: createGitHubReporter({
      octokit: createGitHubClient({ kind: "token", token }, { fetch: github.fetch }),
    }),
    targets,
    registry: createEcrImageRegistry({ client: ecrClient }),
    log: logger,
    now: () => new Date(),
    sleep: async () => {},
    random: () => 0,
    rolloutTimeoutMs: 2_000,
  };
  return { handler: createDeployHandler(deps, logger), ledger, workloads, ecr };
}

async function seeded(
  ledger: ReturnType<typeof createMemoryLedger>,
  sequence: number,
  state?: DeploymentState,
) {
  // No GitHub Deployment yet, so the stand-in sees it created before any status.
  return seedDeployment(ledger, {
    stage: "dev",
    sequence,
    githubDeploymentId: null,
    ...(state ? { state } : {}),
  });
}

const logged = () => logLines.map((line) => JSON.parse(line) as Record<string, unknown>);

describe("deploy handler serving two services", () => {
  it("deploys a greeter build to the greeter's Deployment only, reporting on the greeter's context", async () => {
    const { handler, ledger, workloads } = handlerKit([target, greeterTarget]);
    // Both lanes at #7: only the service tells the two builds apart.
    const chat = await seeded(ledger, 7);
    const record = await seedDeployment(ledger, {
      stage: "dev",
      service: "greeter",
      sequence: 7,
      githubDeploymentId: null,
    });
    const image = ours(0x67);

    const result = await handler(buildEventFor("succeeded", { ...record, image }));

    expect(result).toEqual({ kind: "succeeded", image });
    expect(workloads.state(greeter).image).toBe(image);
    expect([workloads.state(server).image, workloads.state(web).image]).toEqual([
      bootImage,
      bootImage,
    ]);
    expect(await ledger.get({ stage: "dev", service: "chat", sequence: 7 })).toEqual(chat);
    expect(github.callsOf("repos/create-commit-status").map((c) => c.body)).toMatchObject([
      { state: "success", context: "slipway/dev/greeter" },
    ]);
  });

  it("drops a build of a service this stage does not deploy, and patches nothing", async () => {
    const { handler, ledger, workloads } = handlerKit([target]);
    const record = await seedDeployment(ledger, { stage: "dev", service: "greeter", sequence: 3 });

    const event = buildEventFor("succeeded", { ...record, image: digestImage(3) });

    const result = await handler(event);

    expect(result).toEqual({ kind: "dropped", reason: "unknown-service" });
    expect(workloads.state(greeter).image).toBe(bootImage);
    expect(github.calls).toEqual([]);
  });
});

describe("deploy handler", () => {
  it("loads from its environment and drops a malformed event without calling anything", async () => {
    const eks = mockClient(EKSClient);
    const dynamo = mockClient(DynamoDBClient);
    vi.stubEnv("SLIPWAY_STAGE", "dev");
    vi.stubEnv(
      "STAGE_CONFIG",
      JSON.stringify({
        stages: [
          {
            name: "dev",
            service: "chat",
            repository: { fullName: "acme/chat", id: 1 },
            branches: ["main"],
            codebuildProject: "slipway-dev",
            imageRepository: repository,
            deployments: [server, web],
          },
        ],
      }),
    );
    vi.stubEnv("LEDGER_TABLE", "slipway-ledger");
    vi.stubEnv("EKS_CLUSTER_NAME", "slipway-dev");
    vi.stubEnv("GITHUB_TOKEN", token);
    const { handler } = await import("./handler.ts");

    const result = await handler({ source: "aws.codebuild", detail: { nonsense: true } });

    expect(result).toEqual({ kind: "dropped", reason: "not a CodeBuild build state change" });
    expect(eks.commandCalls(DescribeClusterCommand)).toHaveLength(0);
    expect(dynamo.calls()).toHaveLength(0);
    eks.restore();
    dynamo.restore();
  });

  it("deploys a successful build's digest and reports in_progress, then success with the environment URL", async () => {
    const { handler, ledger, workloads } = handlerKit();
    const record = await seeded(ledger, 7);
    const image = ours(7);

    const result = await handler(buildEventFor("succeeded", { ...record, image }));

    expect(result).toEqual({ kind: "succeeded", image });
    expect(workloads.state(server).image).toBe(image);
    expect(workloads.state(web).image).toBe(image);
    expect(github.violations).toEqual([]);
    const statuses = github.callsOf("repos/create-deployment-status").map((c) => c.body);
    expect(statuses).toMatchObject([
      { state: "in_progress", log_url: record.logUrl },
      { state: "success", environment_url: "https://chat.example.test", log_url: record.logUrl },
    ]);
    expect(github.callsOf("repos/create-commit-status").map((c) => c.body)).toMatchObject([
      { state: "success", context: "slipway/dev/chat" },
    ]);
  });

  it("asks ECR for the build's digest in the stage's repository before patching", async () => {
    const { handler, ledger, ecr } = handlerKit();
    const record = await seeded(ledger, 9);
    const image = ours(9);

    const result = await handler(buildEventFor("succeeded", { ...record, image }));

    expect(result).toEqual({ kind: "succeeded", image });
    expect(ecr).toHaveReceivedCommandTimes(DescribeImagesCommand, 1);
    expect(ecr).toHaveReceivedCommandWith(DescribeImagesCommand, {
      registryId: "123456789012",
      repositoryName: "slipway-dev",
      imageIds: [{ imageDigest: image.split("@")[1] }],
    });
  });

  it("refuses a digest ECR does not hold like a foreign image: failed with the reason, GitHub told, nothing patched", async () => {
    const { handler, ledger, workloads, ecr } = handlerKit();
    ecr.on(DescribeImagesCommand).rejects(
      new ImageNotFoundException({
        message: "The image requested does not exist",
        $metadata: {},
      }),
    );
    const record = await seeded(ledger, 10);

    const result = await handler(buildEventFor("succeeded", { ...record, image: ours(10) }));

    expect(result).toMatchObject({
      kind: "failed",
      reason: expect.stringContaining("no image has that digest"),
    });
    expect(workloads.patches).toEqual([]);
    expect(await ledger.get({ stage: "dev", service: "chat", sequence: 10 })).toMatchObject({
      state: "failed",
      reason: expect.stringContaining(`is not in ${repository}`),
    });
    expect(github.violations).toEqual([]);
    expect(github.callsOf("repos/create-deployment-status").map((c) => c.body)).toMatchObject([
      { state: "failure", log_url: record.logUrl },
    ]);
    expect(github.callsOf("repos/create-commit-status").map((c) => c.body)).toMatchObject([
      { state: "failure" },
    ]);
    expect(logged()).toContainEqual(
      expect.objectContaining({
        level: "WARN",
        message: "refused an image the stage's registry does not hold",
        deliveryId: record.deliveryId,
      }),
    );
  });

  it("rethrows an ECR server error so that Lambda retries, recording and patching nothing", async () => {
    const { handler, ledger, workloads, ecr } = handlerKit();
    ecr
      .on(DescribeImagesCommand)
      .rejects(
        new ServerException({ message: "internal error", $metadata: { httpStatusCode: 500 } }),
      );
    const record = await seeded(ledger, 11, "building");

    await expect(
      handler(buildEventFor("succeeded", { ...record, image: ours(11) })),
    ).rejects.toBeInstanceOf(TransientError);

    expect(ecr).toHaveReceivedCommandTimes(DescribeImagesCommand, 5);
    expect((await ledger.get({ stage: "dev", service: "chat", sequence: 11 }))?.state).toBe(
      "building",
    );
    expect(workloads.patches).toEqual([]);
    expect(github.callsOf("repos/create-deployment-status")).toEqual([]);
  });

  it("reports a failed build as failure with the log link and patches nothing", async () => {
    const { handler, ledger, workloads } = handlerKit();
    const record = await seeded(ledger, 3);

    const result = await handler(buildEventFor("failed", record));

    expect(result).toEqual({ kind: "build-failed", status: "failed" });
    expect(workloads.patches).toEqual([]);
    expect(github.violations).toEqual([]);
    expect(github.callsOf("repos/create-deployment-status").map((c) => c.body)).toMatchObject([
      { state: "failure", log_url: record.logUrl },
    ]);
  });

  it("does nothing new when EventBridge delivers the same event again", async () => {
    const { handler, ledger, workloads } = handlerKit();
    const record = await seeded(ledger, 4);
    const event = buildEventFor("succeeded", { ...record, image: ours(4) });
    await handler(event);
    const before = { patches: workloads.patches.length, calls: github.calls.length };

    const result = await handler(structuredClone(event));

    expect(result).toEqual({ kind: "duplicate", state: "succeeded" });
    expect(workloads.patches.length).toBe(before.patches);
    expect(github.calls.length).toBe(before.calls);
  });

  it.each([
    [
      "a build in a state Slipway does not know",
      withStatus(buildEvent("failed"), "TIMED_OUT"),
      "not-finished",
    ],
    [
      "a build Slipway did not start",
      stripSlipwayVariables(buildEvent("succeeded")),
      "not-slipway",
    ],
    [
      "the same detail from another source",
      { ...buildEvent("succeeded"), source: "attacker.events" },
      "not a CodeBuild build state change",
    ],
    [
      "another CodeBuild event type",
      { ...buildEvent("succeeded"), "detail-type": "CodeBuild Build Phase Change" },
      "not a CodeBuild build state change",
    ],
    ["something else entirely", { hello: "world" }, "not a CodeBuild build state change"],
  ])("logs and drops %s without throwing", async (_, event, reason) => {
    const { handler, workloads } = handlerKit();

    const result = await handler(event);

    expect(result).toEqual({ kind: "dropped", reason });
    expect(workloads.patches).toEqual([]);
    expect(logged()).toContainEqual(
      expect.objectContaining({ level: "WARN", message: "event dropped" }),
    );
  });

  it("records a started build as building and patches nothing", async () => {
    const { handler, ledger, workloads } = handlerKit();
    const record = await seeded(ledger, 8, "queued");

    const result = await handler(buildEventFor("in-progress", record));

    expect(result).toEqual({ kind: "building" });
    expect((await ledger.get({ stage: record.stage, service: "chat", sequence: 8 }))?.state).toBe(
      "building",
    );
    expect(workloads.patches).toEqual([]);
    expect(logged()).toContainEqual(
      expect.objectContaining({ message: "build start handled", deliveryId: record.deliveryId }),
    );
  });

  it("rethrows a lasting transient error so that Lambda retries, logging the delivery id", async () => {
    const { handler, ledger, workloads } = handlerKit();
    const record = await seeded(ledger, 5);
    workloads.failNext("read", new TransientError("get chat/chat-server"), 100);

    await expect(
      handler(buildEventFor("succeeded", { ...record, image: ours(5) })),
    ).rejects.toBeInstanceOf(TransientError);
    expect(logged()).toContainEqual(
      expect.objectContaining({ level: "ERROR", deliveryId: record.deliveryId, sequence: 5 }),
    );
  });

  it("keeps the delivery id on every line of one event and drops it before the next", async () => {
    const { handler, ledger } = handlerKit();
    const record = await seeded(ledger, 6);
    await handler(buildEventFor("succeeded", { ...record, image: ours(6) }));
    const during = logged();

    await handler({ hello: "world" });

    expect(during.at(-1)).toMatchObject({
      message: "build handled",
      deliveryId: record.deliveryId,
    });
    expect(logged().at(-1)).not.toHaveProperty("deliveryId");
  });
});

function withStatus(event: ReturnType<typeof buildEvent>, status: string) {
  event.detail["build-status"] = status;
  return event;
}

function stripSlipwayVariables(event: ReturnType<typeof buildEvent>) {
  const env = event.detail["additional-information"].environment;
  env["environment-variables"] = env["environment-variables"].filter(
    (v) => !v.name.startsWith("SLIPWAY_"),
  );
  return event;
}
