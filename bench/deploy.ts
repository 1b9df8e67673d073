import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { AppsV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { createMemoryRegistry } from "@slipway/aws/testing";
import type { DeployDeps, WorkloadTarget } from "@slipway/core";
import { DeployLabel, oneServiceStage } from "@slipway/core";
import { createGitHubClient, createGitHubReporter } from "@slipway/github";
import {
  connectApiServer,
  connectedChannel,
  createKubeWorkloads,
  pointerToken,
  requestChannel,
} from "@slipway/kube";
import { createMemoryLedger, digestImage, seedDeployment } from "@slipway/ledger/testing";
import { createDeployHandler } from "../functions/deploy/deploy-handler.ts";
import { buildEventFor } from "../test/events/codebuild/fixtures.ts";
import { waitForRollout } from "../test/kube/deployment-rollout.ts";
import { resolveCluster } from "../test/kube/resolve-cluster.ts";
import { bundledFunctionSection } from "./bundled-function.ts";
import {
  type BenchReport,
  type BenchSection,
  machine,
  median,
  percentile,
  writeReport,
} from "./report.ts";

/**
 * The deploy function's cost where it is ours: from a build event entering the handler to
 * the image patch leaving for the API server (the rest of a deploy is Kubernetes rolling
 * out), on the real control plane; and the bundled deploy and re-check functions' size and
 * cold import.
 */
export async function run(options: { quick: boolean }): Promise<BenchSection[]> {
  return [
    await eventToPatch(options.quick),
    await bundle("deploy", options.quick),
    // The re-check is wired like the deploy function (same settings), so it loads alike.
    await bundle("recheck", options.quick),
  ];
}

const registry = "127.0.0.1:5000/slipway-chat";

/** GitHub's answers, canned: the figure is Slipway's, not a stand-in's schema checks. */
const cannedGitHub: typeof fetch = async (input) => {
  const path = new URL(input instanceof Request ? input.url : String(input)).pathname;
  const body = /\/deployments$/.test(path) ? { id: 4242 } : { id: 1 };
  return new Response(JSON.stringify(body), {
    status: 201,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
};

/** Every `missEvery`-th event finds the Deployments without the label the ledger expects. */
const missEvery = 4;

/** An admin's JSON patch that removes the high-water label from a Deployment. */
async function removeHighWater(apps: AppsV1Api, target: WorkloadTarget): Promise<void> {
  const path = `/metadata/labels/${pointerToken(DeployLabel.highWater)}`;
  await apps.patchNamespacedDeployment(
    { name: target.name, namespace: target.namespace, body: [{ op: "remove", path }] },
    setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
  );
}

async function eventToPatch(quick: boolean): Promise<BenchSection> {
  const events = quick ? 8 : 80;
  const warmup = quick ? 2 : 5;
  const cluster = await resolveCluster();
  const admin = new KubeConfig();
  admin.loadFromFile(cluster.kubeconfigAdmin);
  const apps = admin.makeApiClient(AppsV1Api);
  // The deployer as the function builds it: one HTTP/2 connection per cluster, straight to
  // the API server over TLS. The connection reports each new connection and each request as
  // its headers leave, which times the patch and counts the handshakes.
  const connect = connectApiServer({ kind: "kubeconfig", path: cluster.kubeconfigDeployer });
  let handshakes = 0;
  let requests: { method: string; at: number }[] = [];
  const onConnected = () => {
    handshakes += 1;
  };
  const onHeaders = (message: unknown) => {
    requests.push({ method: (message as { method: string }).method, at: performance.now() });
  };
  subscribe(connectedChannel.name, onConnected);
  subscribe(requestChannel.name, onHeaders);
  const base = `bench-${Date.now().toString(36)}`;
  const targets: WorkloadTarget[] = [
    { namespace: cluster.namespace, name: `${base}-server`, container: "server" },
    { namespace: cluster.namespace, name: `${base}-web`, container: "web" },
  ];
  try {
    for (const t of targets) {
      const labels = { "app.kubernetes.io/name": t.name };
      await apps.createNamespacedDeployment({
        namespace: t.namespace,
        body: {
          metadata: { name: t.name, labels },
          spec: {
            replicas: 1,
            selector: { matchLabels: labels },
            template: {
              metadata: { labels },
              spec: { containers: [{ name: t.container, image: digestImage(1, registry) }] },
            },
          },
        },
      });
    }
    await Promise.all(targets.map((t) => waitForRollout(apps, t.name, t.namespace, 60_000)));
    const ledger = createMemoryLedger();
    const workloads = createKubeWorkloads({ connection: await connect() });
    const logger = new Logger({ serviceName: "slipway-deploy", logLevel: "SILENT" });
    const deps: DeployDeps = {
      ledger,
      workloads,
      github: createGitHubReporter({
        octokit: createGitHubClient({ kind: "token", token: "bench" }, { fetch: cannedGitHub }),
      }),
      target: {
        stage: "bench",
        service: "chat",
        deployments: targets,
        production: false,
        imageRepository: registry,
      },
      // Every benchmark image is the stage's; the lookup is in memory (ECR adds a call in AWS).
      registry: createMemoryRegistry({ holdsEverything: true }),
      log: logger,
      now: () => new Date(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      random: Math.random,
      // The figure is about the patch; a rollout that lags is left to the re-check.
      rolloutTimeoutMs: 5_000,
    };
    const handler = createDeployHandler(oneServiceStage(deps), logger);
    const first: number[] = [];
    const all: number[] = [];
    const readsBeforePatch: number[] = [];
    const missed: number[] = [];
    const roundTrip: number[] = [];
    const handshakesPerEvent: number[] = [];
    let coldHandshakes = 0;
    for (let i = 0; i < warmup + events; i++) {
      const sequence = i + 2;
      const miss = i >= warmup && (i - warmup) % missEvery === missEvery - 1;
      // A miss: the label gone (a Deployment Slipway never patched, or one re-created), so
      // the guarded patch is refused and the reading path decides.
      if (miss) await Promise.all(targets.map((t) => removeHighWater(apps, t)));
      const record = await seedDeployment(ledger, { stage: "bench", service: "chat", sequence });
      const event = buildEventFor("succeeded", {
        ...record,
        image: digestImage(sequence, registry),
      });
      requests = [];
      const handshakesBefore = handshakes;
      const started = performance.now();
      const outcome = await handler(event);
      if (outcome.kind !== "succeeded" && outcome.kind !== "rolling") {
        throw new Error(`deploy #${sequence} ended ${outcome.kind}`);
      }
      const getStarted = performance.now();
      await workloads.read(targets[0] as WorkloadTarget);
      const getTime = performance.now() - getStarted;
      if (i === 0) coldHandshakes = handshakes - handshakesBefore;
      if (i < warmup) continue;
      roundTrip.push(getTime);
      const firstGet = requests.findIndex((r) => r.method === "GET");
      const patchesAt = requests.filter((r) => r.method === "PATCH").map((r) => r.at);
      if (miss) {
        // The first patch that can apply leaves after the reads.
        const applied = requests.slice(firstGet).filter((r) => r.method === "PATCH");
        missed.push(Math.min(...applied.map((r) => r.at)) - started);
        continue;
      }
      handshakesPerEvent.push(handshakes - handshakesBefore);
      first.push(Math.min(...patchesAt) - started);
      all.push(Math.max(...patchesAt) - started);
      const firstPatch = requests.findIndex((r) => r.method === "PATCH");
      readsBeforePatch.push(requests.slice(0, firstPatch).filter((r) => r.method === "GET").length);
    }
    const row = (name: string, samples: number[], note: string) => ({
      name,
      unit: "ms",
      median: median(samples),
      p99: percentile(samples, 99),
      ratioToBaseline: median(samples) / median(roundTrip),
      note,
    });
    return {
      id: "deploy-event-to-patch",
      title: "Deploy handler: build event → image patch sent (real control plane)",
      method:
        `${events} successful-build events after ${warmup} warm-up ones, each a real-shaped CodeBuild event through the ` +
        "real handler (zod parse, ledger checks, guarded patch of 2 Deployments as the restricted deployer), one at a " +
        "time, each rollout followed (up to 5 s) before the next event. The deployer's client is the function's (one HTTP/2 " +
        "connection per cluster over node:http2, TLS to the API server on loopback); the patch time is when its headers leave " +
        "(diagnostics channel `slipway:kube:request`), and `slipway:kube:connected` counts TLS handshakes. Ledger, registry in memory and GitHub canned: add DynamoDB's ~5-10 ms per call (3 before the patch) and one ECR DescribeImages in AWS. " +
        `Every ${missEvery}th event an admin first removes the high-water label, so the guarded patch is refused and the reading path runs (its own row).`,
      baseline: "one GET of a Deployment through the same client and connection",
      rows: [
        row(
          "event → first patch sent",
          first,
          "parse, ledger get/history/transition, then the PATCH guarded by the high-water label the ledger expects (no read); " +
            `target ≤ 1.05× one GET: ${median(first) / median(roundTrip) <= 1.05 ? "met" : "not met"}`,
        ),
        {
          name: "GETs before the first patch",
          unit: "count",
          median: median(readsBeforePatch),
          p99: percentile(readsBeforePatch, 99),
          note: "requests that left before the first PATCH, in the same events",
        },
        row("event → both patches sent", all, "both Deployments patched concurrently"),
        row(
          "event → first applicable patch, label missed",
          missed,
          "the guarded PATCH refused (422), then GET, the undo guard (GET beside the ReplicaSet list), PATCH: a label removed or at another high-water than the ledger expects (a first deploy, with nothing to expect, skips the refused PATCH)",
        ),
        { ...row("baseline: one GET round trip", roundTrip, ""), ratioToBaseline: 1 },
        {
          name: "TLS handshakes, a cold container's first deploy",
          unit: "count",
          median: coldHandshakes,
          note: "new connections while the first event is handled (get, 2 patches, 2 watches)",
        },
        {
          name: "TLS handshakes per deploy, warm container",
          unit: "count",
          median: median(handshakesPerEvent),
          p99: percentile(handshakesPerEvent, 99),
          note: "the connection stays open between events",
        },
      ],
    };
  } finally {
    await Promise.allSettled(
      targets.map((t) => apps.deleteNamespacedDeployment({ name: t.name, namespace: t.namespace })),
    );
    unsubscribe(connectedChannel.name, onConnected);
    unsubscribe(requestChannel.name, onHeaders);
    await (await connect()).close();
    await cluster.stop();
  }
}

function bundle(name: "deploy" | "recheck", quick: boolean): Promise<BenchSection> {
  return bundledFunctionSection({
    name,
    contents: "AWS SDK, Octokit, zod, Powertools; the Kubernetes calls over node:http2",
    targets: { kib: 1024, coldImportMs: 150 },
    env: {
      SLIPWAY_STAGE: "dev",
      STAGE_CONFIG: JSON.stringify({
        stages: [
          {
            name: "dev",
            service: "chat",
            repository: { fullName: "Codertocat/Hello-World", id: 186853002 },
            branches: ["main"],
            codebuildProject: "slipway-dev",
            imageRepository: "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-dev",
            deployments: [
              { namespace: "chat", name: "chat-server", container: "server" },
              { namespace: "chat", name: "chat-web", container: "web" },
            ],
          },
        ],
      }),
      LEDGER_TABLE: "slipway-ledger",
      EKS_CLUSTER_NAME: "slipway-dev",
      GITHUB_TOKEN: "bench",
      AWS_REGION: "us-east-1",
    },
    quick,
  });
}

if (import.meta.main) {
  const quick = process.argv.includes("--quick");
  const report: BenchReport = {
    generatedAt: new Date().toISOString(),
    machine: machine(),
    sections: await run({ quick }),
  };
  process.stdout.write(`${writeReport(join(import.meta.dirname, "results"), "deploy", report)}\n`);
}
