import { digestImage, finishedBuildOf, seedDeployment } from "@slipway/ledger/testing";
import { describe, expect, it } from "vitest";
import { deployBuild } from "../deploy/deploy-build.ts";
import { DeployAnnotation } from "../model/deploy-annotations.ts";
import { bootImage, server, deps as testDeps, web } from "../testing/deps.ts";
import { type RollbackDeps, rollbackStage } from "./rollback.ts";

/** A stage that went through deployments 1..n, each succeeded. */
async function deployed(n: number) {
  const built = testDeps();
  const { memory: ledger, workloads } = built;
  const deps = { ...built.deps, now: () => new Date() };
  const common = {
    ledger,
    workloads,
    target: built.target,
    log: built.log,
    sleep: built.sleep,
    random: built.random,
  };
  const records = [];
  for (let sequence = 1; sequence <= n; sequence++) {
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence });
    await deployBuild(deps, finishedBuildOf(record));
    records.push(record);
  }
  const rollback: RollbackDeps = { ...common, rolloutTimeoutMs: 1_000 };
  return { rollback, workloads, records };
}

describe("rollbackStage", () => {
  it("goes back to the previous successful deployment on every Deployment and keeps the guard", async () => {
    const { rollback, workloads } = await deployed(3);

    const outcome = await rollbackStage(rollback, { requestedBy: "ana" });

    expect(outcome).toMatchObject({
      kind: "rolled-back",
      choice: { image: digestImage(2), sequence: 2, source: "ledger" },
      progress: { kind: "complete" },
    });
    for (const t of [server, web]) {
      const state = workloads.state(t);
      expect(state.image).toBe(digestImage(2));
      expect(state.annotations[DeployAnnotation.sequence]).toBe("3");
      expect(state.annotations[DeployAnnotation.changeCause]).toMatch(
        /rollback to .* \(#2\) by ana/,
      );
    }
  });

  it("goes to a named commit, abbreviated", async () => {
    const { rollback, workloads, records } = await deployed(3);
    const first = records[0]?.commit ?? "";

    const outcome = await rollbackStage(rollback, { toCommit: first.slice(0, 8) });

    expect(outcome).toMatchObject({ kind: "rolled-back", choice: { commit: first, sequence: 1 } });
    expect(workloads.state(web).image).toBe(digestImage(1));
  });

  it("says so when the named commit was never built for the stage", async () => {
    const { rollback } = await deployed(1);

    const outcome = await rollbackStage(rollback, { toCommit: "ffffffff" });

    expect(outcome).toMatchObject({ kind: "no-candidate" });
  });

  it("falls back to the previous ReplicaSet when the ledger has no earlier success", async () => {
    const { rollback, workloads } = await deployed(1);

    const outcome = await rollbackStage(rollback, {});

    expect(outcome).toMatchObject({
      kind: "rolled-back",
      choice: { source: "replicaset", image: bootImage },
    });
    expect(workloads.state(server).image).toBe(bootImage);
  });

  it("changes nothing when the stage already runs the chosen image", async () => {
    const { rollback, workloads, records } = await deployed(2);
    const patches = workloads.patches.length;

    const outcome = await rollbackStage(rollback, { toCommit: records[1]?.commit ?? "" });

    expect(outcome).toMatchObject({ kind: "already" });
    expect(workloads.patches.length).toBe(patches);
  });
});
