import { createMemoryPublisher } from "@slipway/aws/testing";
import { finishedBuildOf, seedDeployment } from "@slipway/ledger/testing";
import { describe, expect, it } from "vitest";
import { deployBuild } from "../deploy/deploy-build.ts";
import type { DeployDeps } from "../deploy/deploy-outcome.ts";
import { server, deps as testDeps } from "../testing/deps.ts";
import { withLifecycleEvents } from "./lifecycle-ledger.ts";

function kit() {
  const publisher = createMemoryPublisher();
  const built = testDeps({
    target: { deployments: [server], environmentUrl: "https://chat.example.test" },
  });
  const ledger = withLifecycleEvents(built.memory, {
    publisher,
    log: built.log,
    links: { appUrl: "https://chat.example.test" },
  });
  const deps: DeployDeps = { ...built.deps, ledger };
  return { deps, ledger, publisher, warnings: built.warnings, workloads: built.workloads };
}

describe("withLifecycleEvents", () => {
  it("publishes each state change of a deployment with the push's correlation id and links", async () => {
    const { deps, ledger, publisher } = kit();
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 3 });

    await deployBuild(deps, finishedBuildOf(record));
    await ledger.settled();

    expect(publisher.published.map((d) => d.status)).toEqual([
      "queued",
      "building",
      "deploying",
      "succeeded",
    ]);
    expect(publisher.published.at(-1)).toMatchObject({
      stage: "dev",
      repository: `${record.repository.owner}/${record.repository.name}`,
      commit: record.commit,
      sequence: 3,
      deliveryId: record.deliveryId,
      buildId: record.buildId,
      imageDigest: finishedBuildOf(record).image,
      links: {
        buildLog: record.logUrl,
        appUrl: "https://chat.example.test",
        githubDeployment: expect.stringContaining("/deployments/dev"),
      },
    });
  });

  it("reports a failed build as build_failed", async () => {
    const { deps, ledger, publisher } = kit();
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 4 });

    await deployBuild(deps, { ...finishedBuildOf(record), status: "failed", image: undefined });
    await ledger.settled();

    expect(publisher.published.at(-1)).toMatchObject({
      status: "build_failed",
      reason: "build failed",
    });
  });

  it("never fails or undoes the deployment when publishing fails", async () => {
    const { deps, ledger, publisher, workloads } = kit();
    publisher.publish = async () => {
      throw new Error("bus gone");
    };
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 5 });

    const outcome = await deployBuild(deps, finishedBuildOf(record));
    await ledger.settled();

    expect(outcome.kind).toBe("succeeded");
    expect(workloads.state(server).image).toBe(finishedBuildOf(record).image);
    expect((await ledger.get({ stage: "dev", service: "chat", sequence: 5 }))?.state).toBe(
      "succeeded",
    );
  });
});
