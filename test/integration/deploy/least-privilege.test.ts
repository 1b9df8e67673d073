import { deployBuild, RefusedError } from "@slipway/core";
import { digestImage, finishedBuildOf, seedDeployment } from "@slipway/ledger/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  adminApps,
  createWorkloads,
  deleteWorkloads,
  deployDeps,
  deployerWorkloads,
  imageOf,
  namespace,
  uniqueName,
  workloadManifest,
} from "./cluster-kit.ts";

const registry = "127.0.0.1:5000/slipway-chat";
const elsewhere = "default";
let kit: Awaited<ReturnType<typeof deployerWorkloads>>;
const created: Awaited<ReturnType<typeof createWorkloads>> = [];

beforeAll(async () => {
  kit = await deployerWorkloads();
});

afterAll(async () => {
  await deleteWorkloads(created);
  await kit.proxy.stop();
});

describe("the deploy function's identity outside its namespace (DESIGN rule 7)", () => {
  it("cannot read, watch, list or patch a Deployment in another namespace", async () => {
    const [outside] = await createWorkloads([
      workloadManifest({
        name: uniqueName("outside"),
        container: "server",
        image: digestImage(1, registry),
        namespace: elsewhere,
        replicas: 1,
      }),
    ]);
    if (!outside) throw new Error("no Deployment created");
    created.push(outside);
    const forbidden = { name: "RefusedError", status: 403 };

    await expect(kit.workloads.read(outside)).rejects.toMatchObject(forbidden);
    await expect(kit.workloads.revisions(outside)).rejects.toMatchObject(forbidden);
    await expect(
      kit.workloads.setImage(outside, {
        image: digestImage(2, registry),
        resourceVersion: "1",
        annotations: {},
      }),
    ).rejects.toMatchObject(forbidden);
    const watch = kit.workloads.watch(outside, AbortSignal.timeout(5_000));
    await expect(watch[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(RefusedError);
    expect(await imageOf(outside)).toBe(digestImage(1, registry));
  });

  it("reports a deploy aimed outside the namespace as failed, restoring what it had patched", async () => {
    const [inside] = await createWorkloads([
      workloadManifest({
        name: uniqueName("inside"),
        container: "server",
        image: digestImage(1, registry),
        replicas: 1,
      }),
    ]);
    const [outside] = await createWorkloads([
      workloadManifest({
        name: uniqueName("outside"),
        container: "web",
        image: digestImage(1, registry),
        namespace: elsewhere,
        replicas: 1,
      }),
    ]);
    if (!inside || !outside) throw new Error("no Deployments created");
    created.push(inside, outside);
    const { deps, ledger, github } = deployDeps(kit.workloads, {
      stage: "dev",
      service: "chat",
      deployments: [inside, outside],
      production: false,
      imageRepository: registry,
    });
    await seedDeployment(ledger, {
      stage: "dev",
      sequence: 2,
      state: "succeeded",
      imageDigest: digestImage(1, registry),
    });
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 3 });

    const outcome = await deployBuild(
      deps,
      finishedBuildOf(record, { image: digestImage(3, registry) }),
    );

    expect(outcome.kind).toMatch(/^(rolled-back|failed)$/);
    expect(await imageOf(outside)).toBe(digestImage(1, registry));
    expect(await imageOf(inside)).toBe(digestImage(1, registry));
    expect(github.deploymentStatuses.at(-1)?.description).toContain("403");
    const d = await adminApps.readNamespacedDeployment({ name: inside.name, namespace });
    expect(d.metadata?.name).toBe(inside.name);
  });
});
