import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  AppsV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
} from "@kubernetes/client-node";
import { createLedgerTable } from "@slipway/ledger";
import type { LambdaFunctionURLEvent } from "aws-lambda";
import { functionUrlDelivery, githubPayload } from "../test/events/github/fixtures.ts";
import { startCodeBuildStandIn } from "../test/harness/codebuild-stand-in.ts";
import { startFaultProxy } from "../test/harness/fault-proxy.ts";
import { startMoto } from "../test/harness/moto.ts";
import { rolloutPending } from "../test/kube/deployment-rollout.ts";
import { resolveCluster } from "../test/kube/resolve-cluster.ts";
import { startCannedGitHub } from "./push-stand-ins.ts";
import { type BenchSection, median, percentile } from "./report.ts";

/** The stage's ECR repository, as infra names it; the stand-in plays it. */
const imageRepository = "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-dev";

/**
 * From a signed push to a completed rollout on the local control plane, through both real
 * handlers (webhook and deploy, on the DynamoDB ledger on moto) with a CodeBuild stand-in that
 * builds in zero time; beside it, in the same run on the same Deployments, a bare
 * kubectl-style image patch and wait, so the ratio is Slipway's overhead over the rollout.
 */
export async function run(options: { quick: boolean }): Promise<BenchSection[]> {
  const runs = options.quick ? 5 : 20;
  const warmup = 1;
  const savedEnv = { ...process.env };
  const stops: Array<() => Promise<unknown>> = [];
  try {
    const cluster = await resolveCluster();
    stops.push(cluster.stop);
    const moto = await startMoto();
    stops.push(moto.stop);
    const dynamo = new DynamoDBClient(moto.clientConfig);
    await createLedgerTable(dynamo, "slipway-ledger");
    dynamo.destroy();

    const admin = new KubeConfig();
    admin.loadFromFile(cluster.kubeconfigAdmin);
    const apps = admin.makeApiClient(AppsV1Api);
    const base = `push-${Date.now().toString(36)}`;
    const targets = [
      { name: `${base}-server`, container: "server" },
      { name: `${base}-web`, container: "web" },
    ];
    const ns = cluster.namespace;
    stops.push(() =>
      Promise.allSettled(
        targets.map((t) => apps.deleteNamespacedDeployment({ name: t.name, namespace: ns })),
      ),
    );
    for (const t of targets) {
      await apps.createNamespacedDeployment({
        namespace: ns,
        body: manifest(t, imageOf("initial")),
      });
    }
    await Promise.all(targets.map((t) => rolledOut(apps, t.name, ns)));

    // The deployer identity through a pass-through proxy that only timestamps its requests.
    const deployer = new KubeConfig();
    deployer.loadFromFile(cluster.kubeconfigDeployer);
    const upstream = deployer.getCurrentCluster();
    const token = deployer.getCurrentUser()?.token;
    if (!upstream || !token) throw new Error("the deployer kubeconfig names no cluster or token");
    const proxy = await startFaultProxy({
      upstream: upstream.server,
      ...(upstream.caData ? { caPem: Buffer.from(upstream.caData, "base64") } : {}),
      skipTlsVerify: upstream.skipTLSVerify,
    });
    stops.push(proxy.stop);
    const dir = mkdtempSync(join(tmpdir(), "slipway-push-bench-"));
    stops.push(async () => rmSync(dir, { recursive: true, force: true }));
    const kubeconfigPath = join(dir, "deployer.kubeconfig");
    writeFileSync(kubeconfigPath, proxyKubeconfig(proxy.url, token), { mode: 0o600 });

    // The build takes zero time, but its event is handed over once the webhook has answered:
    // a real build cannot finish before the webhook records it, and an event that arrives
    // before the ledger record is ignored by design (see the report).
    let finished: object | undefined;
    const codebuild = await startCodeBuildStandIn({
      imageFor: imageOf,
      onFinished: (event) => {
        finished = event;
      },
    });
    stops.push(codebuild.close);
    const github = await startCannedGitHub();
    stops.push(github.close);

    const secret = randomBytes(24).toString("base64url");
    Object.assign(process.env, {
      SLIPWAY_STAGE: "dev",
      STAGE_CONFIG: JSON.stringify({
        stages: [
          {
            name: "dev",
            service: "chat",
            repository: { fullName: "Codertocat/Hello-World", id: 186853002 },
            branches: ["master"],
            codebuildProject: "slipway-dev",
            imageRepository,
            deployments: targets.map((t) => ({ namespace: ns, ...t })),
          },
        ],
      }),
      LEDGER_TABLE: "slipway-ledger",
      WEBHOOK_SECRET: secret,
      GITHUB_TOKEN: "ghp_benchTokenNeverLeavesThisMachine",
      GITHUB_API_URL: github.url,
      KUBECONFIG: kubeconfigPath,
      ROLLOUT_TIMEOUT_SECONDS: "60",
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "bench",
      AWS_SECRET_ACCESS_KEY: "bench",
      AWS_ENDPOINT_URL_DYNAMODB: moto.endpoint,
      AWS_ENDPOINT_URL_CODEBUILD: codebuild.url,
      // The stand-in also answers for the repository it "pushed" to (ECR DescribeImages).
      AWS_ENDPOINT_URL_ECR: codebuild.url,
      POWERTOOLS_LOG_LEVEL: "SILENT",
      POWERTOOLS_METRICS_DISABLED: "true",
    });
    const webhook = (await import("../functions/webhook/handler.ts")) as {
      handler: (event: LambdaFunctionURLEvent) => Promise<{ statusCode?: number; body?: string }>;
    };
    const deploy = (
      (await import(
        "../functions/deploy/handler.ts"
      )) as typeof import("../functions/deploy/handler.ts")
    ).handler as unknown as (event: unknown) => Promise<{ kind: string }>;

    const handled: number[] = [];
    const patched: number[] = [];
    const complete: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < warmup + runs; i++) {
      // Slipway: the signed push, GitHub's own payload with a fresh commit.
      const push = githubPayload("push-branch");
      push.after = randomBytes(20).toString("hex");
      push.head_commit.id = push.after;
      const delivery = functionUrlDelivery({
        event: "push",
        deliveryId: randomUUID(),
        body: push,
        secret,
      });
      const patches: number[] = [];
      proxy.onRequest = (request) => {
        if (request.method === "PATCH") patches.push(request.at);
      };
      finished = undefined;
      const started = performance.now();
      const answer = await webhook.handler(delivery);
      const answered = performance.now();
      if (answer.statusCode !== 202 || finished === undefined) {
        throw new Error(`push #${i} was answered ${answer.statusCode} ${answer.body}`);
      }
      const outcome = await deploy(finished);
      const done = performance.now();
      proxy.onRequest = undefined;
      if (outcome.kind !== "succeeded") throw new Error(`push #${i} ended ${outcome.kind}`);

      // Baseline: the same change as kubectl set image would make, and kubectl's wait.
      const image = imageOf(`bare-${i}`);
      const bareStarted = performance.now();
      await Promise.all(targets.map((t) => patchImage(apps, ns, t, image)));
      await Promise.all(targets.map((t) => rolledOut(apps, t.name, ns)));
      const bareDone = performance.now();
      if (i < warmup) continue;
      handled.push(answered - started);
      patched.push(Math.min(...patches) - started);
      complete.push(done - started);
      bare.push(bareDone - bareStarted);
    }

    const row = (name: string, samples: number[], note: string) => ({
      name,
      unit: "ms",
      median: median(samples),
      p99: percentile(samples, 99),
      ratioToBaseline: median(samples) / median(bare),
      note,
    });
    return [
      {
        id: "push-to-rollout",
        title: "Push to rollout: signed webhook → rollout complete (local control plane)",
        method:
          `${runs} pushes after ${warmup} warm-up, one at a time: GitHub's push payload with a fresh commit, signed, ` +
          "into the real webhook handler (ledger on moto, canned GitHub), a CodeBuild stand-in that builds in zero " +
          "time, its Build State Change event handed to the real deploy handler as the webhook answers, which patches 2 Deployments " +
          "(2 replicas, maxSurge 1, maxUnavailable 0, pods on kwok's fake nodes) as the restricted deployer and " +
          "follows them until complete. Times from the webhook call.",
        baseline:
          "the same image change to both Deployments as a bare strategic merge patch (kubectl set image) as admin, " +
          "then polled every 25 ms until kubectl's rollout-status rules say complete, on the same cluster, alternating with the pushes",
        rows: [
          row(
            "webhook answered",
            handled,
            "verify, ledger claim/sequence/record, StartBuild, GitHub queued",
          ),
          row(
            "first image patch sent",
            patched,
            "includes the deploy handler's ledger steps (moto)",
          ),
          row("rollout complete", complete, "deploy handler returned succeeded, GitHub told"),
          { ...row("baseline: bare patch + wait", bare, ""), ratioToBaseline: 1 },
        ],
      },
    ];
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
    for (const stop of stops.reverse()) await stop().catch(() => {});
  }
}

const imageOf = (seed: string) =>
  `${imageRepository}@sha256:${createHash("sha256").update(seed).digest("hex")}`;

function manifest(t: { name: string; container: string }, image: string): V1Deployment {
  const labels = { "app.kubernetes.io/name": t.name };
  return {
    metadata: { name: t.name, labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: { metadata: { labels }, spec: { containers: [{ name: t.container, image }] } },
    },
  };
}

async function patchImage(
  apps: AppsV1Api,
  namespace: string,
  t: { name: string; container: string },
  image: string,
) {
  await apps.patchNamespacedDeployment(
    {
      name: t.name,
      namespace,
      body: { spec: { template: { spec: { containers: [{ name: t.container, image }] } } } },
    },
    setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
  );
}

/** kubectl rollout status's rules, polled; it gives up after a minute. */
async function rolledOut(apps: AppsV1Api, name: string, namespace: string): Promise<void> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const d = await apps.readNamespacedDeployment({ name, namespace });
    if (rolloutPending(d) === undefined) return;
    if (performance.now() > deadline) throw new Error(`${name}: ${rolloutPending(d)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function proxyKubeconfig(server: string, token: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "bench", cluster: { server, "insecure-skip-tls-verify": true } }],
    users: [{ name: "slipway-deployer", user: { token } }],
    contexts: [{ name: "bench", context: { cluster: "bench", user: "slipway-deployer" } }],
    "current-context": "bench",
  });
}
