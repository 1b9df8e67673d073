import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { AppsV1Api, KubeConfig } from "@kubernetes/client-node";
import type { DeployDeps, WorkloadTarget } from "@slipway/core";
import { createGitHubClient, createGitHubReporter } from "@slipway/github";
import { createKubeWorkloads } from "@slipway/kube";
import { createMemoryLedger, digestImage, seedDeployment } from "@slipway/ledger/testing";
import { createDeployHandler } from "../functions/deploy/deploy-handler.ts";
import { buildEventFor } from "../test/events/codebuild/fixtures.ts";
import { startFaultProxy } from "../test/harness/fault-proxy.ts";
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
 * out), on the real control plane; and the bundled function's size and cold import.
 */
export async function run(options: { quick: boolean }): Promise<BenchSection[]> {
  return [await eventToPatch(options.quick), await bundle(options.quick)];
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

async function eventToPatch(quick: boolean): Promise<BenchSection> {
  const events = quick ? 8 : 60;
  const warmup = quick ? 2 : 5;
  const cluster = await resolveCluster();
  const admin = new KubeConfig();
  admin.loadFromFile(cluster.kubeconfigAdmin);
  const apps = admin.makeApiClient(AppsV1Api);
  const deployer = new KubeConfig();
  deployer.loadFromFile(cluster.kubeconfigDeployer);
  const upstream = deployer.getCurrentCluster();
  const token = deployer.getCurrentUser()?.token;
  if (!upstream || !token) throw new Error("the deployer kubeconfig names no cluster or token");
  // A pass-through proxy: it only timestamps the requests the deployer sends.
  const proxy = await startFaultProxy({
    upstream: upstream.server,
    ...(upstream.caData ? { caPem: Buffer.from(upstream.caData, "base64") } : {}),
  });
  const viaProxy = new KubeConfig();
  viaProxy.loadFromClusterAndUser(
    { name: "bench", server: proxy.url, skipTLSVerify: true },
    { name: "slipway-deployer", token },
  );
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
    const workloads = createKubeWorkloads({ config: viaProxy });
    const logger = new Logger({ serviceName: "slipway-deploy", logLevel: "SILENT" });
    const deps: DeployDeps = {
      ledger,
      workloads,
      github: createGitHubReporter({
        octokit: createGitHubClient({ kind: "token", token: "bench" }, { fetch: cannedGitHub }),
      }),
      target: { stage: "bench", deployments: targets, production: false },
      log: logger,
      now: () => new Date(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      random: Math.random,
      // The figure is about the patch; a rollout that lags is left to the re-check.
      rolloutTimeoutMs: 5_000,
    };
    const handler = createDeployHandler(deps, logger);
    const first: number[] = [];
    const all: number[] = [];
    const roundTrip: number[] = [];
    for (let i = 0; i < warmup + events; i++) {
      const sequence = i + 2;
      const record = await seedDeployment(ledger, { stage: "bench", sequence });
      const event = buildEventFor("succeeded", {
        ...record,
        image: digestImage(sequence, registry),
      });
      const patches: number[] = [];
      proxy.onRequest = (request) => {
        if (request.method === "PATCH") patches.push(request.at);
      };
      const started = performance.now();
      const outcome = await handler(event);
      proxy.onRequest = undefined;
      if (outcome.kind !== "succeeded" && outcome.kind !== "rolling") {
        throw new Error(`deploy #${sequence} ended ${outcome.kind}`);
      }
      const getStarted = performance.now();
      await workloads.read(targets[0] as WorkloadTarget);
      const getTime = performance.now() - getStarted;
      if (i < warmup) continue;
      first.push(Math.min(...patches) - started);
      all.push(Math.max(...patches) - started);
      roundTrip.push(getTime);
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
        "time, each rollout followed (up to 5 s) before the next event. The patch time is when the request reaches a pass-through " +
        "proxy on loopback. Ledger in memory and GitHub canned: add DynamoDB's ~5-10 ms per call (3 before the patch) in AWS.",
      baseline: "one GET of a Deployment through the same client and proxy",
      rows: [
        row("event → first patch sent", first, "parse, ledger get/history/transition, GET, PATCH"),
        row("event → both patches sent", all, "both Deployments patched concurrently"),
        { ...row("baseline: one GET round trip", roundTrip, ""), ratioToBaseline: 1 },
      ],
    };
  } finally {
    await Promise.allSettled(
      targets.map((t) => apps.deleteNamespacedDeployment({ name: t.name, namespace: t.namespace })),
    );
    await proxy.stop();
    await cluster.stop();
  }
}

function bundle(quick: boolean): Promise<BenchSection> {
  return bundledFunctionSection({
    name: "deploy",
    contents: "AWS SDK, @kubernetes/client-node with undici, Octokit, zod, Powertools",
    env: {
      SLIPWAY_STAGE: "dev",
      STAGE_CONFIG: JSON.stringify({
        stages: [
          {
            name: "dev",
            branches: ["main"],
            codebuildProject: "slipway-dev",
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
