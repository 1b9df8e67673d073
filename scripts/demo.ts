// `npm run demo`: two services, one repository (a monorepo), on this machine. A push that
// changes the chat goes all the way to a completed rollout of the chat, and then a push that
// changes the greeter to one of the greeter; neither touches the other service.
//   signed push → real webhook handler (routes by repository, filters by paths) → CodeBuild
//   stand-in (the service's project) → Build State Change event → real deploy handler
//   → chat-server and chat-web, or greeter, roll out on a local Kubernetes.
// Stand-ins: CodeBuild (builds nothing; it invents the image digest and emits the event),
// EventBridge (the event is handed to the deploy handler in-process), GitHub (a local server
// that checks every call against GitHub's OpenAPI description), the nodes (kwok pretends to
// run pods). Real: both handlers, the DynamoDB ledger protocol (on moto), and the Kubernetes
// control plane (etcd, kube-apiserver, controller-manager, scheduler), driven as the
// restricted deployer identity.
import { createHash, randomUUID } from "node:crypto";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateEventBusCommand, EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { AppsV1Api, KubeConfig, type V1Deployment } from "@kubernetes/client-node";
import { runCli } from "@slipway/cli";
import { type DeploymentTrace, rolloutVerdict } from "@slipway/core";
import { createGitHubStandIn } from "@slipway/github/testing";
import { createLedgerTable } from "@slipway/ledger";
import type { LambdaFunctionURLEvent } from "aws-lambda";
import { parseAllDocuments } from "yaml";
import { functionUrlDelivery, githubPayload } from "../test/events/github/fixtures.ts";
import { startCodeBuildStandIn } from "../test/harness/codebuild-stand-in.ts";
import { kubectl } from "../test/harness/kubectl.ts";
import { motoInstalled, startMoto } from "../test/harness/moto.ts";
import { resolveCluster } from "../test/kube/resolve-cluster.ts";

/** A service's ECR repository, as infra names it (one per service); the stand-in plays them. */
const registryOf = (project: string) => `123456789012.dkr.ecr.us-east-1.amazonaws.com/${project}`;

const started = performance.now();
let say = (step: string, text: string) =>
  process.stdout.write(
    `${`[${((performance.now() - started) / 1000).toFixed(1)} s]`.padEnd(9)} ${step.padEnd(11)} ${text}\n`,
  );
const stops: Array<() => Promise<unknown>> = [];

/** The cluster the demo deploys to: the harness's local control plane, or any KUBECONFIG. */
export type DemoCluster = {
  kubeconfigAdmin: string;
  kubeconfigDeployer: string;
  namespace: string;
  server: string;
};

/** What one service's push did. */
export type ServicePush = {
  deployed: unknown;
  /** Every Deployment's image after the push, this service's and the other's. */
  images: Record<string, string>;
  deliveryId: string;
};

export type DemoResult = {
  ok: boolean;
  /** The greeter's push, after the chat's: it rolled out the greeter and nothing of the chat. */
  greeter: ServicePush & { chatUntouched: boolean };
  /** Whether the chat's push left the greeter's Deployment as it was. */
  greeterUntouchedByChat: boolean;
  deployed: unknown;
  images: string[];
  githubStates: string[];
  /** The push's delivery id: the correlation id the trace is looked up by. */
  deliveryId: string;
  /** Where else that id landed: each Deployment's annotation and the GitHub Deployment's payload. */
  correlation: { annotations: string[]; githubPayloads: string[] };
  /** `slipway trace <delivery id>` against the demo's ledger, as text and as --json. */
  trace: { text: string; timelines: DeploymentTrace[] };
};

/**
 * One push through both handlers to a completed rollout on `cluster`. Deployment names get
 * `prefix`, so a test can run it beside others. Environment changes are undone at the end.
 */
export async function runDemo(
  cluster: DemoCluster,
  options: { prefix?: string; quiet?: boolean } = {},
): Promise<DemoResult> {
  if (options.quiet) say = () => true;
  const savedEnv = { ...process.env };
  try {
    return await pushToRollout(cluster, options.prefix ?? "");
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
  }
}

async function pushToRollout(cluster: DemoCluster, prefix: string): Promise<DemoResult> {
  const moto = await startMoto();
  stops.push(moto.stop);
  const dynamo = new DynamoDBClient(moto.clientConfig);
  await createLedgerTable(dynamo, "slipway-ledger");
  dynamo.destroy();
  say("ledger", `DynamoDB table slipway-ledger on moto at ${moto.endpoint}`);
  // Lifecycle events go to a bus on moto too, through the real publisher and PutEvents.
  const eventBridge = new EventBridgeClient(moto.clientConfig);
  await eventBridge.send(new CreateEventBusCommand({ Name: "slipway-dev-Lifecycle" }));
  eventBridge.destroy();
  say("events", "EventBridge bus slipway-dev-Lifecycle on moto");
  const token = "ghp_demoTokenNeverLeavesThisMachine";
  const github = await createGitHubStandIn({ tokens: [token] });
  const githubServer = await github.listen();
  stops.push(githubServer.close);

  // Both services' Deployments, from their manifests, as infra applies them on the first
  // deploy (here in the harness's one namespace, where the restricted deployer is bound).
  const admin = new KubeConfig();
  admin.loadFromFile(cluster.kubeconfigAdmin);
  const apps = admin.makeApiClient(AppsV1Api);
  const createFrom = async (folder: string[]) => {
    const rendered = await kubectl(["kustomize", join(import.meta.dirname, "..", ...folder)]);
    const found = parseAllDocuments(rendered)
      .map((doc) => doc.toJSON() as V1Deployment & { kind: string })
      .filter((o) => o.kind === "Deployment");
    for (const body of found) {
      body.metadata = {
        ...body.metadata,
        name: `${prefix}${body.metadata?.name}`,
        namespace: cluster.namespace,
      };
      await apps.createNamespacedDeployment({ namespace: cluster.namespace, body });
    }
    say(
      "workload",
      `${found.map((d) => d.metadata?.name).join(", ")} from ${folder.join("/")}, image ${found[0]?.spec?.template.spec?.containers[0]?.image}`,
    );
    return found;
  };
  const deployments = await createFrom(["k8s", "overlays", "dev"]);
  const greeterDeployments = await createFrom(["k8s", "services", "greeter"]);
  const names = deployments.map((d) => d.metadata?.name ?? "");
  const allNames = [...names, ...greeterDeployments.map((d) => d.metadata?.name ?? "")];
  const targetsOf = (found: typeof deployments) =>
    found.map((d) => ({
      namespace: cluster.namespace,
      name: d.metadata?.name,
      container: d.spec?.template.spec?.containers[0]?.name,
    }));

  const secret = "demo-webhook-secret-0123456789";
  // Two lanes of one repository, told apart by their paths (infra/services/ declares these).
  const repository = { fullName: "Codertocat/Hello-World", id: 186853002 };
  const stageConfig = {
    stages: [
      {
        name: "dev",
        service: "chat",
        repository,
        branches: ["master"],
        paths: ["grpc-app/**", "proto/chat/**"],
        codebuildProject: "slipway-dev-chat",
        imageRepository: registryOf("slipway-dev-chat"),
        deployments: targetsOf(deployments),
        environmentUrl: "http://chat.localhost",
      },
      {
        name: "dev",
        service: "greeter",
        repository,
        branches: ["master"],
        paths: ["examples/greeter/**", "proto/greeter/**"],
        codebuildProject: "slipway-dev-greeter",
        imageRepository: registryOf("slipway-dev-greeter"),
        deployments: targetsOf(greeterDeployments),
      },
    ],
  };
  let deployed: unknown;
  let deployHandler: ((event: unknown) => Promise<unknown>) | undefined;
  // It builds nothing: after a moment it makes up the image digest from the commit.
  const codebuild = await startCodeBuildStandIn({
    buildMs: 1_000,
    imageFor: (commit, project) =>
      `${registryOf(project)}@sha256:${createHash("sha256").update(commit).digest("hex")}`,
    onStarted: (build) =>
      say("codebuild", `StartBuild ${build.buildId} for ${build.commit.slice(0, 7)}; "building"…`),
    onFinished: async (event, build) => {
      say(
        "codebuild",
        `SUCCEEDED, exported IMAGE_URI=${build.image.replace(/[0-9a-f]{52}$/, "…")}`,
      );
      say("eventbridge", "Build State Change → deploy function");
      deployed = await deployHandler?.(event);
    },
  });
  stops.push(codebuild.close);
  Object.assign(process.env, {
    SLIPWAY_STAGE: "dev",
    STAGE_CONFIG: JSON.stringify(stageConfig),
    LEDGER_TABLE: "slipway-ledger",
    WEBHOOK_SECRET: secret,
    GITHUB_TOKEN: token,
    GITHUB_API_URL: githubServer.baseUrl,
    KUBECONFIG: cluster.kubeconfigDeployer,
    ROLLOUT_TIMEOUT_SECONDS: "60",
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "demo",
    AWS_SECRET_ACCESS_KEY: "demo",
    AWS_ENDPOINT_URL_DYNAMODB: moto.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: moto.endpoint,
    LIFECYCLE_BUS_NAME: "slipway-dev-Lifecycle",
    AWS_ENDPOINT_URL_CODEBUILD: codebuild.url,
    // The stand-in also answers for the repository it "pushed" to (ECR DescribeImages).
    AWS_ENDPOINT_URL_ECR: codebuild.url,
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? "WARN",
    POWERTOOLS_METRICS_DISABLED: "true",
  });
  const webhook = (await import("../functions/webhook/handler.ts")) as {
    handler: (event: LambdaFunctionURLEvent) => Promise<{ statusCode?: number; body?: string }>;
  };
  deployHandler = (
    (await import("../functions/deploy/handler.ts")) as {
      handler: (event: unknown) => Promise<unknown>;
    }
  ).handler;

  /** A signed push of one commit that changed `files`, through the webhook to its verdict. */
  const pushChanging = async (commit: string, files: string[]) => {
    const push = {
      ...githubPayload("push-branch"),
      // An existing branch: GitHub's file lists are complete, so the path filters apply.
      created: false,
      before: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
      after: commit,
      commits: [{ id: commit, message: "Change", added: [], modified: files, removed: [] }],
    };
    push.head_commit = { ...push.head_commit, id: commit };
    const id = randomUUID();
    say("github", `signed push of ${commit.slice(0, 7)} changing ${files.join(", ")} → webhook`);
    deployed = undefined;
    const answer = await webhook.handler(
      functionUrlDelivery({ event: "push", deliveryId: id, body: push, secret }),
    );
    say("webhook", `${answer.statusCode} ${answer.body}`);
    await codebuild.idle();
    say("deploy", JSON.stringify(deployed));
    return { deployed, deliveryId: id, images: await imagesNow() };
  };
  const imagesNow = async () => {
    const now: Record<string, string> = {};
    for (const name of allNames) {
      const d = await apps.readNamespacedDeployment({ name, namespace: cluster.namespace });
      now[name] = d.spec?.template.spec?.containers[0]?.image ?? "";
    }
    return now;
  };

  const before = await imagesNow();
  const chatPush = await pushChanging("a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", [
    "grpc-app/src/server/chat-service.ts",
  ]);
  const deliveryId = chatPush.deliveryId;
  const greeterName = greeterDeployments[0]?.metadata?.name ?? "";
  const greeterUntouchedByChat = chatPush.images[greeterName] === before[greeterName];
  say("isolation", `the chat's push left ${greeterName} as it was: ${greeterUntouchedByChat}`);

  const images: string[] = [];
  const annotations: string[] = [];
  let complete = true;
  for (const name of names) {
    const d = await apps.readNamespacedDeployment({ name, namespace: cluster.namespace });
    const image = d.spec?.template.spec?.containers[0]?.image ?? "";
    const verdict = rolloutVerdict(d);
    complete &&= verdict.kind === "complete";
    images.push(image);
    annotations.push(d.metadata?.annotations?.["slipway.dev/delivery-id"] ?? "");
    say("rollout", `${name}: ${verdict.message}; image ${image.replace(/[0-9a-f]{52}$/, "…")}`);
  }
  const githubStates: string[] = [];
  for (const call of github.calls) {
    const body = call.body as { state?: string; environment_url?: string } | undefined;
    githubStates.push(`${call.operationId} ${body?.state ?? ""}`.trimEnd());
    say(
      "github",
      `${call.operationId} ${body?.state ?? ""} ${body?.environment_url ?? ""}`.trimEnd(),
    );
  }
  const githubPayloads = github.calls
    .filter((c) => c.operationId === "repos/create-deployment")
    .map((c) => String((c.body as { payload?: { deliveryId?: string } }).payload?.deliveryId));
  const trace = await traceOf(deliveryId);
  for (const line of trace.text.split("\n")) say("trace", line);

  const greeterPush = await pushChanging("b2c3d4e5f60718293a4b5c6d7e8f901234567890", [
    "examples/greeter/greeter-server.ts",
  ]);
  const chatUntouched = names.every((name) => greeterPush.images[name] === chatPush.images[name]);
  say("isolation", `the greeter's push left ${names.join(", ")} as they were: ${chatUntouched}`);
  const greeterDone = await apps.readNamespacedDeployment({
    name: greeterName,
    namespace: cluster.namespace,
  });
  say("rollout", `${greeterName}: ${rolloutVerdict(greeterDone).message}`);
  const ok =
    (chatPush.deployed as { kind?: string } | undefined)?.kind === "succeeded" &&
    (greeterPush.deployed as { kind?: string } | undefined)?.kind === "succeeded" &&
    rolloutVerdict(greeterDone).kind === "complete" &&
    greeterUntouchedByChat &&
    chatUntouched &&
    complete &&
    github.violations.length === 0;
  say(
    ok ? "done" : "FAILED",
    ok
      ? "the push reached the cluster by digest, and GitHub knows"
      : JSON.stringify(github.violations),
  );
  return {
    ok,
    greeter: { ...greeterPush, chatUntouched },
    greeterUntouchedByChat,
    deployed: chatPush.deployed,
    images,
    githubStates,
    deliveryId,
    correlation: { annotations, githubPayloads },
    trace,
  };
}

/** The operator CLI's trace of the push, read from the demo's ledger on moto. */
async function traceOf(deliveryId: string): Promise<DemoResult["trace"]> {
  const run = async (...extra: string[]) => {
    const out: string[] = [];
    const code = await runCli(
      [
        ...["trace", deliveryId, "--stage", "dev", "--service", "chat"],
        ...["--table", "slipway-ledger", ...extra],
      ],
      { out: (line) => out.push(line), err: (line) => out.push(line) },
    );
    if (code !== 0) throw new Error(`slipway trace failed: ${out.join("\n")}`);
    return out.join("\n");
  };
  const text = await run();
  const timelines = JSON.parse(await run("--json")) as DeploymentTrace[];
  return { text, timelines };
}

if (import.meta.main) {
  if (!motoInstalled()) {
    process.stderr.write(
      "moto is not provisioned: run scripts/provision-moto.sh (or npm run test:full) first\n",
    );
    process.exitCode = 1;
  } else {
    say("cluster", "starting the local control plane (the first run builds it: minutes)…");
    const cluster = await resolveCluster();
    say("cluster", `ready at ${cluster.server}, namespace ${cluster.namespace}`);
    try {
      process.exitCode = (await runDemo(cluster)).ok ? 0 : 1;
    } finally {
      say("cluster", "stopping");
      await cluster.stop();
    }
  }
}
