import { finishedBuildOf, seedDeployment } from "@slipway/ledger/testing";
import { describe, expect, it } from "vitest";
import { deployBuild } from "../deploy/deploy-build.ts";
import type { DeployDeps } from "../deploy/deploy-outcome.ts";
import { bootImage, server, deps as testDeps } from "../testing/deps.ts";
import { pinStage, unpinStage } from "./stage-pin.ts";

function kit() {
  const built = testDeps({ target: { deployments: [server] } });
  const { memory: ledger, github, workloads } = built;
  const deps: DeployDeps = built.deps;
  return { deps, ledger, github, workloads };
}

describe("stage pin", () => {
  it("holds a successful build while pinned and tells GitHub it is inactive with the reason", async () => {
    const { deps, ledger, github, workloads } = kit();
    await pinStage(deps, { reason: "incident 42", by: "ana" });
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 1 });

    const outcome = await deployBuild(deps, finishedBuildOf(record));

    expect(outcome).toEqual({ kind: "held", reason: "stage dev is pinned by ana: incident 42" });
    expect(workloads.state(server).image).toBe(bootImage);
    expect(await ledger.get({ stage: "dev", service: "chat", sequence: 1 })).toMatchObject({
      state: "held",
      imageDigest: finishedBuildOf(record).image,
    });
    expect(github.deploymentStatuses.at(-1)).toMatchObject({
      state: "inactive",
      description: "Held: incident 42",
    });
  });

  it("rolls out the newest held build on unpin with deployLatest", async () => {
    const { deps, ledger, workloads } = kit();
    await pinStage(deps, { reason: "freeze", by: "ana" });
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 2 });
    await deployBuild(deps, finishedBuildOf(record));

    const outcome = await unpinStage(deps, { deployLatest: true });

    expect(outcome).toMatchObject({
      kind: "unpinned",
      deployed: { sequence: 2, outcome: { kind: "succeeded" } },
    });
    expect(workloads.state(server).image).toBe(finishedBuildOf(record).image);
    expect(await ledger.pinOf({ stage: "dev", service: "chat" })).toBeUndefined();
  });

  // Found by the deploy simulation (seed 9101): an unpin that released the pin but died before
  // deploying (or an unpin without deployLatest) left the build held for ever, because a second
  // `unpin --deploy-latest` answered "not pinned" and deployed nothing.
  it("rolls out the newest held build on unpin with deployLatest when the pin is already gone", async () => {
    const { deps, ledger, workloads } = kit();
    await pinStage(deps, { reason: "freeze", by: "ana" });
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 2 });
    await deployBuild(deps, finishedBuildOf(record));
    await unpinStage(deps, { deployLatest: false });

    const outcome = await unpinStage(deps, { deployLatest: true });

    expect(outcome).toMatchObject({
      kind: "not-pinned",
      deployed: { sequence: 2, outcome: { kind: "succeeded" } },
    });
    expect(workloads.state(server).image).toBe(finishedBuildOf(record).image);
    expect(await ledger.get({ stage: "dev", service: "chat", sequence: 2 })).toMatchObject({
      state: "succeeded",
    });
  });

  it("deploys nothing on unpin with deployLatest when the stage is not pinned and holds nothing", async () => {
    const { deps, workloads } = kit();

    const outcome = await unpinStage(deps, { deployLatest: true });

    expect(outcome).toEqual({ kind: "not-pinned" });
    expect(workloads.state(server).image).toBe(bootImage);
  });

  it("supersedes the older held builds when unpinning deploys the newest", async () => {
    const { deps, ledger } = kit();
    await pinStage(deps, { reason: "freeze", by: "ana" });
    const two = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 2 });
    const three = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 3 });
    await deployBuild(deps, finishedBuildOf(three));
    await deployBuild(deps, finishedBuildOf(two));

    await unpinStage(deps, { deployLatest: true });

    expect(await ledger.get({ stage: "dev", service: "chat", sequence: 2 })).toMatchObject({
      state: "superseded",
      supersededBy: 3,
    });
    expect((await ledger.get({ stage: "dev", service: "chat", sequence: 3 }))?.state).toBe(
      "succeeded",
    );
  });

  it("rolls back after pinning and records the rollback on the deployment it replaced", async () => {
    const { deps, ledger, workloads } = kit();
    const first = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 1 });
    await deployBuild(deps, finishedBuildOf(first));
    const second = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 2 });
    await deployBuild(deps, finishedBuildOf(second));

    const outcome = await pinStage(deps, { reason: "bad release", by: "ana", rollback: {} });

    expect(outcome).toMatchObject({ kind: "pinned", rollback: { kind: "rolled-back" } });
    expect(workloads.state(server).image).toBe(finishedBuildOf(first).image);
    expect(
      (await ledger.get({ stage: "dev", service: "chat", sequence: 2 }))?.operatorRollback,
    ).toMatchObject({
      by: "ana",
      toSequence: 1,
      toImage: finishedBuildOf(first).image,
    });
  });
});
