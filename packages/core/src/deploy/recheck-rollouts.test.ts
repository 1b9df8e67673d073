import { digestImage, finishedBuildOf, seedDeployment } from "@slipway/ledger/testing";
import { describe, expect, it } from "vitest";
import { server, deps as testDeps } from "../testing/deps.ts";
import { deployBuild } from "./deploy-build.ts";
import { type RecheckDeps, recheckRollouts } from "./recheck-rollouts.ts";

async function outlivedRollout() {
  let now = new Date("2026-11-26T10:00:00.000Z");
  const built = testDeps({ target: { deployments: [server] }, now, rolloutTimeoutMs: 20 });
  const { memory: ledger, github, workloads } = built;
  const deps: RecheckDeps = { ...built.deps, now: () => now, settleAfterMs: 60_000 };
  await seedDeployment(ledger, {
    stage: "dev",
    sequence: 3,
    state: "succeeded",
    imageDigest: digestImage(0xb007),
    now,
  });
  const record = await seedDeployment(ledger, { stage: "dev", sequence: 4, now });
  workloads.rolloutOf = () => "pending";
  const first = await deployBuild(deps, finishedBuildOf(record));
  const later = (ms: number) => {
    now = new Date(now.getTime() + ms);
  };
  return { deps, ledger, github, workloads, first, later };
}

describe("recheckRollouts", () => {
  it("leaves a deployment alone while its own run may still follow it", async () => {
    const { deps, first, later } = await outlivedRollout();
    later(30_000);

    const results = await recheckRollouts(deps);

    expect(first).toMatchObject({ kind: "rolling" });
    expect(results).toEqual([]);
  });

  it("records success once a rollout that outlived its run completes", async () => {
    const { deps, ledger, github, workloads, later } = await outlivedRollout();
    later(120_000);
    workloads.rolloutOf = () => "complete";
    await workloads.reconcile();

    const results = await recheckRollouts(deps);

    expect(results).toMatchObject([{ sequence: 4, outcome: { kind: "succeeded" } }]);
    expect(await ledger.get({ stage: "dev", service: "chat", sequence: 4 })).toMatchObject({
      state: "succeeded",
    });
    expect(github.deploymentStatuses.at(-1)).toMatchObject({ state: "success" });
  });

  it("rolls back a rollout that missed its deadline after its run ended", async () => {
    const { deps, ledger, workloads, later } = await outlivedRollout();
    later(120_000);
    workloads.rolloutOf = (image) => (image === digestImage(4) ? "deadline-exceeded" : "complete");
    await workloads.reconcile();

    const results = await recheckRollouts(deps);

    expect(results).toMatchObject([{ sequence: 4, outcome: { kind: "rolled-back" } }]);
    expect(workloads.state(server).image).toBe(digestImage(0xb007));
    expect(await ledger.get({ stage: "dev", service: "chat", sequence: 4 })).toMatchObject({
      state: "rolled_back",
    });
  });
});
