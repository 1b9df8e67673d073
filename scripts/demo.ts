// `npm run demo`: one push goes all the way to a completed rollout, on this machine.
//   signed push → real webhook handler → CodeBuild stand-in → Build State Change event
//   → real deploy handler → chat-server and chat-web roll out on a local Kubernetes.
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

/** The stage's ECR repository, as infra names it; the stand-in plays it. */
const imageRepository = "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-dev";

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

export type DemoResult = {
  ok: boolean;
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

  // The workload from the dev overlay, as infra applies it on the first deploy.
  const admin = new KubeConfig();
  admin.loadFromFile(cluster.kubeconfigAdmin);
  const apps = admin.makeApiClient(AppsV1Api);
  const rendered = await kubectl([
    "kustomize",
    join(import.meta.dirname, "..", "k8s", "overlays", "dev"),
  ]);
  const deployments = parseAllDocuments(rendered)
    .map((doc) => doc.toJSON() as V1Deployment & { kind: string })
    .filter((o) => o.kind === "Deployment");
  for (const body of deployments) {
    body.metadata = {
      ...body.metadata,
      name: `${prefix}${body.metadata?.name}`,
      namespace: cluster.namespace,
    };
    await apps.createNamespacedDeployment({ namespace: cluster.namespace, body });
  }
  const names = deployments.map((d) => d.metadata?.name ?? "");
  say(
    "workload",
    `${names.join(", ")} from k8s/overlays/dev, image ${deployments[0]?.spec?.template.spec?.containers[0]?.image}`,
  );

  const secret = "demo-webhook-secret-0123456789";
  const stageConfig = {
    stages: [
      {
        name: "dev",
        branches: ["master"],
        codebuildProject: "slipway-dev",
        imageRepository,
        deployments: deployments.map((d) => ({
          namespace: cluster.namespace,
          name: d.metadata?.name,
          container: d.spec?.template.spec?.containers[0]?.name,
        })),
        environmentUrl: "http://chat.localhost",
      },
    ],
  };
  let deployed: unknown;
  let deployHandler: ((event: unknown) => Promise<unknown>) | undefined;
  // It builds nothing: after a moment it makes up the image digest from the commit.
  const codebuild = await startCodeBuildStandIn({
    buildMs: 1_000,
    imageFor: (commit) =>
      `${imageRepository}@sha256:${createHash("sha256").update(commit).digest("hex")}`,
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
    GITHUB_REPOSITORY: "Codertocat/Hello-World",
    GITHUB_REPOSITORY_ID: "186853002",
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

  const push = githubPayload("push-branch");
  const deliveryId = randomUUID();
  const delivery = functionUrlDelivery({
    event: "push",
    deliveryId,
    body: push,
    secret,
  });
  say("github", `signed push of ${push.after.slice(0, 7)} to ${push.ref} → webhook`);
  const answer = await webhook.handler(delivery);
  say("webhook", `${answer.statusCode} ${answer.body}`);
  await codebuild.idle();
  say("deploy", JSON.stringify(deployed));

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
  const ok =
    (deployed as { kind?: string } | undefined)?.kind === "succeeded" &&
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
    deployed,
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
      ["trace", deliveryId, "--stage", "dev", "--table", "slipway-ledger", ...extra],
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
