import { DeployAnnotation, deployBuild, rolloutVerdict } from "@slipway/core";
import { digestImage, finishedBuildOf, seedDeployment } from "@slipway/ledger/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FaultProxy } from "../../harness/fault-proxy.ts";
import {
  adminApps,
  createStageWorkloads,
  createWorkloads,
  deleteWorkloads,
  deployDeps,
  deployerWorkloads,
  imageOf,
  uniqueName,
  waitForComplete,
  workloadManifest,
} from "./cluster-kit.ts";

const registry = "127.0.0.1:5000/slipway-chat";
let kit: Awaited<ReturnType<typeof deployerWorkloads>>;
let proxy: FaultProxy;
const created: Parameters<typeof deleteWorkloads>[0][number][] = [];

beforeAll(async () => {
  kit = await deployerWorkloads();
  proxy = kit.proxy;
});

afterAll(async () => {
  await deleteWorkloads(created);
  await proxy.stop();
});

/** The chat-server and chat-web pair, each with its own container name, both at `image`. */
async function stage(image: string, replicas = 2) {
  const targets = await createStageWorkloads("chat", image, replicas);
  created.push(...targets);
  return {
    stage: "dev",
    service: "chat",
    deployments: targets,
    environmentUrl: "https://chat.example.test",
    production: false,
    imageRepository: registry,
  };
}

describe("deploying a build on the real control plane (restricted deployer identity)", () => {
  it("changes every Deployment's image to the digest and completes the rollout", async () => {
    const target = await stage(digestImage(1, registry));
    const { deps, ledger, github } = deployDeps(kit.workloads, target);
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 2 });
    const build = finishedBuildOf(record, { image: digestImage(2, registry) });

    const outcome = await deployBuild(deps, build);

    expect(outcome).toEqual({ kind: "succeeded", image: build.image });
    for (const t of target.deployments) {
      const d = await adminApps.readNamespacedDeployment({ name: t.name, namespace: t.namespace });
      expect(d.spec?.template.spec?.containers[0]?.image).toBe(build.image);
      expect(rolloutVerdict(d).kind).toBe("complete");
      expect(d.metadata?.annotations).toMatchObject({
        [DeployAnnotation.sequence]: "2",
        [DeployAnnotation.commit]: record.commit,
        [DeployAnnotation.buildId]: record.buildId,
        [DeployAnnotation.previousImage]: digestImage(1, registry),
      });
      expect(d.metadata?.annotations?.[DeployAnnotation.changeCause]).toContain("slipway #2");
    }
    expect(github.deploymentStatuses.map((s) => s.state)).toEqual(["in_progress", "success"]);
    expect(github.deploymentStatuses[1]?.environmentUrl).toBe("https://chat.example.test");
  });

  it("sends the image change as a strategic merge patch guarded by resourceVersion", async () => {
    const target = await stage(digestImage(1, registry), 1);
    const { deps, ledger } = deployDeps(kit.workloads, target);
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 3 });
    const before = proxy.requests.length;

    await deployBuild(deps, finishedBuildOf(record, { image: digestImage(3, registry) }));

    const patches = proxy.requests.slice(before).filter((r) => r.method === "PATCH");
    expect(patches.map((p) => p.path.split("?")[0])).toEqual(
      expect.arrayContaining(
        target.deployments.map(
          (t) => `/apis/apps/v1/namespaces/${t.namespace}/deployments/${t.name}`,
        ),
      ),
    );
    expect(patches).toHaveLength(2);
  });

  it("rolls every Deployment back to the previous digest when the new pods never become Ready", async () => {
    // Each pod asks for 600 of a fake node's 1000 CPUs: the two replicas fill both nodes, so
    // the surge pod of any new revision stays Pending and the rollout misses its deadline.
    const base = uniqueName("stuck");
    const good = digestImage(0x600d, registry);
    const targets = await createWorkloads([
      workloadManifest({
        name: `${base}-server`,
        container: "server",
        image: good,
        cpu: "600",
        progressDeadlineSeconds: 10,
      }),
    ]);
    created.push(...targets);
    const { deps, ledger, github } = deployDeps(kit.workloads, {
      stage: "dev",
      service: "chat",
      deployments: targets,
      production: false,
      imageRepository: registry,
    });
    await seedDeployment(ledger, {
      stage: "dev",
      sequence: 3,
      state: "succeeded",
      imageDigest: good,
    });
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 4 });
    const bad = digestImage(0xbad, registry);

    const outcome = await deployBuild(deps, finishedBuildOf(record, { image: bad }));

    expect(outcome).toMatchObject({ kind: "rolled-back" });
    const [only] = targets;
    if (!only) throw new Error("no target");
    expect(await imageOf(only)).toBe(good);
    expect(await ledger.get({ stage: "dev", service: "chat", sequence: 4 })).toMatchObject({
      state: "rolled_back",
    });
    const failure = github.deploymentStatuses.at(-1);
    expect(failure).toMatchObject({ state: "failure", logUrl: record.logUrl });
    expect(failure?.description).toContain("ProgressDeadlineExceeded");
    // The restored revision is the old ReplicaSet, whose pods never left: done at once.
    await waitForComplete(only, 20_000);
  }, 60_000);

  it("always leaves the newer digest when two builds race, in either order, 20 times", async () => {
    const target = await stage(digestImage(1, registry), 1);
    // The invariant is the image; a round need not wait long for its rollout to finish.
    const { deps, ledger } = deployDeps(kit.workloads, target, 10_000);

    for (let round = 0; round < 20; round++) {
      const older = await seedDeployment(ledger, {
        stage: "dev",
        service: "chat",
        sequence: 7 + 2 * round,
      });
      const newer = await seedDeployment(ledger, {
        stage: "dev",
        service: "chat",
        sequence: 8 + 2 * round,
      });
      const [olderBuild, newerBuild] = [older, newer].map((r) =>
        finishedBuildOf(r, { image: digestImage(r.sequence, registry) }),
      );
      if (!olderBuild || !newerBuild) throw new Error("no builds");
      const first = round % 2 === 0 ? olderBuild : newerBuild;
      const second = first === olderBuild ? newerBuild : olderBuild;

      const [a, b] = await Promise.all([deployBuild(deps, first), deployBuild(deps, second)]);

      const outcomes = first === olderBuild ? { older: a, newer: b } : { older: b, newer: a };
      const context = `round ${round}: ${JSON.stringify(outcomes)}`;
      for (const t of target.deployments) {
        expect(await imageOf(t), context).toBe(newerBuild.image);
      }
      expect(["succeeded", "rolling"], context).toContain(outcomes.newer.kind);
      // The older one either lost the race or finished before the newer one started.
      expect(["superseded", "succeeded"], context).toContain(outcomes.older.kind);
    }
  }, 240_000);

  it("retries an injected 409, 500, 503 and connection reset, and still deploys", async () => {
    const target = await stage(digestImage(1, registry), 1);
    const { deps, ledger } = deployDeps(kit.workloads, target);
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 5 });
    const before = proxy.requests.length;
    proxy.inject({ method: "PATCH", fault: { status: 409 } });
    proxy.inject({ method: "PATCH", fault: { status: 500 } });
    proxy.inject({ method: "GET", path: "/deployments/", fault: { status: 503 }, times: 2 });
    proxy.inject({ method: "GET", path: "/deployments/", fault: "reset" });

    const outcome = await deployBuild(
      deps,
      finishedBuildOf(record, { image: digestImage(5, registry) }),
    );

    expect(outcome).toMatchObject({ kind: "succeeded" });
    const injected = proxy.requests.slice(before).flatMap((r) => (r.injected ? [r.injected] : []));
    expect(injected.sort()).toEqual(["409", "500", "503", "503", "reset"]);
    for (const t of target.deployments) expect(await imageOf(t)).toBe(digestImage(5, registry));
  });
});
