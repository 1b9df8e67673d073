import { createMemoryRegistry } from "@slipway/aws/testing";
import type { FakeGitHub } from "@slipway/github/testing";
import type { MemoryWorkloads } from "@slipway/kube/testing";
import {
  createMemoryLedger,
  digestImage,
  finishedBuildOf,
  type MemoryLedger,
  seedDeployment,
} from "@slipway/ledger/testing";
import { describe, expect, it } from "vitest";
import { DeployAnnotation } from "../model/deploy-annotations.ts";
import type { DeployTarget } from "../model/deploy-target.ts";
import { ConflictError, TransientError } from "../ports/infrastructure-errors.ts";
import type { Ledger } from "../ports/ledger.ts";
import { server, deps as testDeps, web } from "../testing/deps.ts";
import { deployBuild } from "./deploy-build.ts";
import type { DeployDeps } from "./deploy-outcome.ts";

const target: DeployTarget = {
  stage: "dev",
  service: "chat",
  deployments: [server, web],
  environmentUrl: "https://chat.example.test",
  production: false,
  imageRepository: "registry.example.test/slipway-chat",
};
const bootImage = `registry.example.test/slipway-chat@sha256:${"b".repeat(64)}`;

type Kit = {
  deps: DeployDeps;
  ledger: MemoryLedger;
  github: FakeGitHub;
  workloads: MemoryWorkloads;
  warnings: string[];
};

function kit(overrides: Partial<DeployDeps> = {}): Kit {
  const built = testDeps({ target: { environmentUrl: "https://chat.example.test" }, bootImage });
  const deps: DeployDeps = { ...built.deps, ...overrides };
  const { memory: ledger, github, workloads, warnings } = built;
  return { deps, ledger, github, workloads, warnings };
}

/** A succeeded deployment of `image`: what a failed rollout restores. */
async function seedSucceeded(ledger: MemoryLedger, sequence: number, image: string) {
  return seedDeployment(ledger, { stage: "dev", sequence, state: "succeeded", imageDigest: image });
}

describe("deployBuild", () => {
  it("refuses a digest the stage's registry does not hold like a foreign image: failed, reported, nothing patched", async () => {
    const registry = createMemoryRegistry();
    const { deps, ledger, workloads, github, warnings } = kit({ registry });
    const pushed = digestImage(11);
    registry.push(pushed);
    const forged = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 10 });
    const real = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 11 });

    const refused = await deployBuild(deps, { ...finishedBuildOf(forged), image: digestImage(10) });
    const deployed = await deployBuild(deps, { ...finishedBuildOf(real), image: pushed });

    expect(refused).toMatchObject({
      kind: "failed",
      reason: expect.stringContaining("no image has that digest"),
    });
    expect(await ledger.get({ stage: "dev", service: "chat", sequence: 10 })).toMatchObject({
      state: "failed",
    });
    expect(github.commitStatuses.find((s) => s.sha === forged.commit)?.state).toBe("failure");
    expect(warnings).toContain("refused an image the stage's registry does not hold");
    expect(deployed.kind).toBe("succeeded");
    expect(workloads.patches.map((p) => p.change.image)).toEqual([pushed, pushed]);
    expect(registry.lookups).toEqual([digestImage(10), pushed]);
  });

  it("throws, recording nothing, while the registry cannot answer, so Lambda retries the event", async () => {
    const registry = createMemoryRegistry({ holdsEverything: true });
    registry.outage = new TransientError("ECR DescribeImages");
    const { deps, ledger, workloads } = kit({ registry });
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 12 });

    await expect(deployBuild(deps, finishedBuildOf(record))).rejects.toBeInstanceOf(TransientError);

    expect(registry.lookups.length).toBeGreaterThan(1);
    expect((await ledger.get({ stage: "dev", service: "chat", sequence: 12 }))?.state).toBe(
      record.state,
    );
    expect(workloads.patches).toEqual([]);
  });

  it("rolls out only the stage's own registry by digest: any other image fails the build, and nothing is patched", async () => {
    const repository = "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-dev";
    const { deps, ledger, workloads, github } = kit({
      target: { ...target, imageRepository: repository },
    });
    const outcomes = [];
    for (const [sequence, image] of [
      [7, `docker.io/attacker/miner@sha256:${"d".repeat(64)}`],
      [8, `${repository}-evil@sha256:${"d".repeat(64)}`],
      [9, `${repository}:latest@sha256:${"d".repeat(64)}`],
    ] as const) {
      const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence });
      outcomes.push(await deployBuild(deps, { ...finishedBuildOf(record), image }));
    }
    const ours = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 10 });

    const deployed = await deployBuild(deps, {
      ...finishedBuildOf(ours),
      image: `${repository}@sha256:${"e".repeat(64)}`,
    });

    expect(outcomes.map((o) => o.kind)).toEqual(["failed", "failed", "failed"]);
    expect(outcomes[0]).toMatchObject({ reason: expect.stringContaining("stage's own registry") });
    expect((await ledger.get({ stage: "dev", service: "chat", sequence: 7 }))?.state).toBe(
      "failed",
    );
    expect(github.deploymentStatuses.some((s) => s.state === "failure")).toBe(true);
    expect(deployed.kind).toBe("succeeded");
    expect(workloads.patches.map((p) => p.change.image)).toEqual(
      target.deployments.map(() => `${repository}@sha256:${"e".repeat(64)}`),
    );
  });

  it("throws for a Slipway build the ledger has no record of, so the event is retried, then dead-lettered", async () => {
    const { deps, workloads } = kit();
    const unrecorded = finishedBuildOf(
      await seedDeployment(createMemoryLedger(), { stage: "dev", service: "chat", sequence: 9 }),
    );

    await expect(deployBuild(deps, unrecorded)).rejects.toBeInstanceOf(TransientError);
    expect(workloads.patches).toEqual([]);
  });

  it("retries a throttled ledger read, as it retries Kubernetes, and deploys", async () => {
    const { deps, ledger } = kit();
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 7 });
    const get = ledger.get.bind(ledger);
    let throttled = 2;
    const flaky = {
      ...deps,
      ledger: {
        ...deps.ledger,
        get: async (key: Parameters<typeof get>[0]) => {
          if (throttled-- > 0) throw new TransientError("DynamoDB Get");
          return get(key);
        },
      },
    };

    const outcome = await deployBuild(flaky, finishedBuildOf(record));

    expect(outcome).toMatchObject({ kind: "succeeded" });
    expect(throttled).toBe(-1);
  });

  it("patches every Deployment to the digest with the push's annotations and reports success", async () => {
    const { deps, ledger, github, workloads } = kit();
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 7 });
    const build = finishedBuildOf(record);

    const outcome = await deployBuild(deps, build);

    expect(outcome).toEqual({ kind: "succeeded", image: build.image });
    for (const t of [server, web]) {
      const state = workloads.state(t);
      expect(state.image).toBe(build.image);
      expect(state.annotations).toMatchObject({
        [DeployAnnotation.sequence]: "7",
        [DeployAnnotation.commit]: record.commit,
        [DeployAnnotation.buildId]: record.buildId,
        [DeployAnnotation.deliveryId]: record.deliveryId,
        [DeployAnnotation.previousImage]: bootImage,
      });
      expect(state.annotations[DeployAnnotation.changeCause]).toContain("slipway #7");
    }
    expect(await ledger.get({ stage: "dev", service: "chat", sequence: 7 })).toMatchObject({
      state: "succeeded",
      imageDigest: build.image,
    });
    expect(github.deploymentStatuses.map((s) => s.state)).toEqual(["in_progress", "success"]);
    expect(github.deploymentStatuses[1]).toMatchObject({
      deploymentId: 5007,
      environmentUrl: "https://chat.example.test",
      logUrl: record.logUrl,
    });
    expect(github.commitStatuses).toMatchObject([
      { state: "success", context: "slipway/dev/chat" },
    ]);
  });

  it("records a failed build, reports failure with the log link and patches nothing", async () => {
    const { deps, ledger, github, workloads } = kit();
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 3 });

    const outcome = await deployBuild(
      deps,
      finishedBuildOf(record, { status: "failed", image: undefined }),
    );

    expect(outcome).toEqual({ kind: "build-failed", status: "failed" });
    expect(workloads.patches).toEqual([]);
    expect(await ledger.get({ stage: "dev", service: "chat", sequence: 3 })).toMatchObject({
      state: "failed",
    });
    expect(github.deploymentStatuses).toMatchObject([
      { state: "failure", deploymentId: 5003, logUrl: record.logUrl },
    ]);
    expect(github.commitStatuses).toMatchObject([{ state: "failure" }]);
  });

  it("reports a stopped build as an error on the commit, not a failure", async () => {
    const { deps, ledger, github } = kit();
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 4 });

    await deployBuild(deps, finishedBuildOf(record, { status: "stopped", image: undefined }));

    expect(github.commitStatuses).toMatchObject([{ state: "error" }]);
  });

  it("restores the last succeeded image on every Deployment when the rollout misses its deadline", async () => {
    const { deps, ledger, github, workloads } = kit();
    await seedSucceeded(ledger, 1, bootImage);
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 9 });
    const build = finishedBuildOf(record);
    workloads.rolloutOf = (image) => (image === build.image ? "deadline-exceeded" : "complete");

    const outcome = await deployBuild(deps, build);

    expect(outcome).toMatchObject({ kind: "rolled-back" });
    expect(workloads.state(server).image).toBe(bootImage);
    expect(workloads.state(web).image).toBe(bootImage);
    const stored = await ledger.get({ stage: "dev", service: "chat", sequence: 9 });
    expect(stored).toMatchObject({ state: "rolled_back" });
    expect(stored?.reason).toContain("ProgressDeadlineExceeded");
    expect(github.deploymentStatuses.at(-1)).toMatchObject({
      state: "failure",
      logUrl: record.logUrl,
    });
    expect(github.deploymentStatuses.at(-1)?.description).toContain("progress deadline");
    expect(github.deploymentStatuses.at(-1)?.description.length).toBeLessThanOrEqual(140);
  });

  it("marks a build superseded without touching Kubernetes when the ledger has a newer deployment", async () => {
    const { deps, ledger, github, workloads } = kit();
    const older = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 7 });
    await seedDeployment(ledger, { stage: "dev", sequence: 8, state: "succeeded" });

    const outcome = await deployBuild(deps, finishedBuildOf(older));

    expect(outcome).toEqual({ kind: "superseded", by: 8 });
    expect(workloads.patches).toEqual([]);
    expect(await ledger.get({ stage: "dev", service: "chat", sequence: 7 })).toMatchObject({
      state: "superseded",
      supersededBy: 8,
    });
    expect(github.deploymentStatuses).toMatchObject([{ state: "inactive" }]);
  });

  it("refuses to put an older sequence over a newer one found on the Deployment", async () => {
    const { deps, ledger, workloads } = kit();
    const older = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 7 });
    workloads.add(server, digestImage(8), { [DeployAnnotation.sequence]: "8" });

    const outcome = await deployBuild(deps, finishedBuildOf(older));

    expect(outcome).toEqual({ kind: "superseded", by: 8 });
    expect(workloads.state(server).image).toBe(digestImage(8));
  });

  it.each([
    ["7 then 8", [7, 8]],
    ["8 then 7", [8, 7]],
  ])("leaves the newest image when two builds race (%s)", async (_, order) => {
    const { deps, ledger, workloads } = kit();
    const seven = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 7 });
    const eight = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 8 });
    const builds = { 7: finishedBuildOf(seven), 8: finishedBuildOf(eight) };

    const outcomes = await Promise.all(order.map((n) => deployBuild(deps, builds[n as 7 | 8])));

    expect(workloads.state(server).image).toBe(digestImage(8));
    expect(workloads.state(web).image).toBe(digestImage(8));
    expect(outcomes[order.indexOf(8)]).toMatchObject({ kind: "succeeded" });
    expect(outcomes[order.indexOf(7)]).toMatchObject({ kind: "superseded", by: 8 });
  });

  it("retries when a concurrent change moves the Deployment between read and patch", async () => {
    const { deps, ledger, workloads } = kit();
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 5 });
    workloads.failNext("setImage", new ConflictError("patch chat/chat-server"));
    workloads.failNext("read", new TransientError("get chat/chat-web"), 2);

    const outcome = await deployBuild(deps, finishedBuildOf(record));

    expect(outcome).toMatchObject({ kind: "succeeded" });
    expect(workloads.state(server).image).toBe(digestImage(5));
  });

  it("lets a lasting transient error escape so that Lambda retries the event", async () => {
    const { deps, ledger, workloads } = kit();
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 5 });
    workloads.failNext("read", new TransientError("get chat/chat-server"), 50);

    await expect(deployBuild(deps, finishedBuildOf(record))).rejects.toBeInstanceOf(TransientError);
    expect(await ledger.get({ stage: "dev", service: "chat", sequence: 5 })).toMatchObject({
      state: "deploying",
    });
  });

  it("resumes a deployment a crashed run left deploying, without patching again", async () => {
    const { deps, ledger, workloads } = kit();
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 5 });
    const crash = new Error("Lambda timed out");
    const crashing: Ledger = {
      ...ledger,
      transition: async (key, change) => {
        if (change.to === "succeeded") throw crash;
        return ledger.transition(key, change);
      },
    };
    await expect(deployBuild({ ...deps, ledger: crashing }, finishedBuildOf(record))).rejects.toBe(
      crash,
    );
    const patchesBefore = workloads.patches.length;

    const outcome = await deployBuild(deps, finishedBuildOf(record));

    expect(outcome).toMatchObject({ kind: "succeeded" });
    expect(workloads.patches.length).toBe(patchesBefore);
    expect(await ledger.get({ stage: "dev", service: "chat", sequence: 5 })).toMatchObject({
      state: "succeeded",
    });
  });

  it("does nothing new when the same event is delivered again", async () => {
    const { deps, ledger, github, workloads } = kit();
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 6 });
    await deployBuild(deps, finishedBuildOf(record));
    const before = {
      patches: workloads.patches.length,
      statuses: github.deploymentStatuses.length,
    };

    const outcome = await deployBuild(deps, finishedBuildOf(record));

    expect(outcome).toEqual({ kind: "duplicate", state: "succeeded" });
    expect(workloads.patches.length).toBe(before.patches);
    expect(github.deploymentStatuses.length).toBe(before.statuses);
  });

  it("leaves a rollout that outlives the bound deploying for the re-check", async () => {
    const { deps, ledger } = kit({ rolloutTimeoutMs: 20 });
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 2 });
    deps.workloads = Object.assign(deps.workloads, { rolloutOf: () => "pending" as const });

    const outcome = await deployBuild(deps, finishedBuildOf(record));

    expect(outcome).toMatchObject({ kind: "rolling" });
    expect(await ledger.get({ stage: "dev", service: "chat", sequence: 2 })).toMatchObject({
      state: "deploying",
    });
  });

  it("still deploys when GitHub is down, and notes that a report is owed", async () => {
    const { deps, ledger, github, warnings } = kit();
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 2 });
    github.outage = new Error("GitHub 503");

    const outcome = await deployBuild(deps, finishedBuildOf(record));

    expect(outcome).toMatchObject({ kind: "succeeded" });
    expect(await ledger.get({ stage: "dev", service: "chat", sequence: 2 })).toMatchObject({
      githubReport: "pending",
    });
    expect(warnings).toContain("GitHub report failed; the ledger marks it owed");
  });

  it("creates the GitHub Deployment when the push could not", async () => {
    const { deps, ledger, github } = kit();
    const record = await seedDeployment(ledger, {
      stage: "dev",
      sequence: 2,
      githubDeploymentId: null,
    });

    await deployBuild(deps, finishedBuildOf(record));

    expect(github.deployments).toMatchObject([{ sha: record.commit, environment: "dev/chat" }]);
    expect(await ledger.get({ stage: "dev", service: "chat", sequence: 2 })).toMatchObject({
      githubDeploymentId: 1001,
      githubReport: "reported",
    });
  });

  it("fails naming the Deployment it could not patch, and restores what landed", async () => {
    const { deps, ledger } = kit({
      target: { ...target, deployments: [server, { ...web, name: "chat-missing" }] },
    });
    await seedSucceeded(ledger, 1, bootImage);
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 3 });

    const outcome = await deployBuild(deps, finishedBuildOf(record));

    expect(outcome).toMatchObject({ kind: "failed" });
    const reason = (await ledger.get({ stage: "dev", service: "chat", sequence: 3 }))?.reason;
    expect(reason).toContain("RefusedError");
    expect(reason).toContain("not restored: chat/chat-missing");
    await expect(deps.workloads.read(server)).resolves.toMatchObject({ image: bootImage });
  });

  it("restores a sibling whose patch was still in flight when another Deployment refused", async () => {
    const { deps, ledger, workloads } = kit({
      target: { ...target, deployments: [server, { ...web, name: "chat-missing" }] },
    });
    const slowPatches = {
      ...workloads,
      setImage: async (...args: Parameters<typeof workloads.setImage>) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return workloads.setImage(...args);
      },
    };
    await seedSucceeded(ledger, 1, bootImage);
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 3 });

    const outcome = await deployBuild({ ...deps, workloads: slowPatches }, finishedBuildOf(record));

    expect(outcome).toMatchObject({ kind: "failed" });
    expect(workloads.state(server).image).toBe(bootImage);
  });

  it.each([
    ["another stage", { stage: "production" }],
    ["another build of the same push", { buildId: "slipway-dev:other" }],
  ])("ignores %s", async (_, change) => {
    const { deps, ledger, workloads } = kit();
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 1 });

    const outcome = await deployBuild(deps, finishedBuildOf(record, change));

    expect(outcome.kind).toBe("ignored");
    expect(workloads.patches).toEqual([]);
  });

  it("ignores another service's build, even one numbered like the stage's own", async () => {
    const { deps, ledger, workloads } = kit();
    const greeter = await seedDeployment(ledger, { stage: "dev", service: "greeter", sequence: 1 });

    const outcome = await deployBuild(deps, finishedBuildOf(greeter));

    expect(outcome).toMatchObject({
      kind: "ignored",
      reason: expect.stringContaining("dev/greeter"),
    });
    expect(workloads.patches).toEqual([]);
  });

  it("ignores a build of another CodeBuild project that claims the service", async () => {
    const { deps, ledger, workloads } = kit({
      target: { ...target, codebuildProject: "slipway-dev-chat" },
    });
    // seedDeployment's build ids are `slipway-dev-chat:…`; a build of the greeter's project is not.
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 1 });
    const own = await deployBuild(deps, {
      ...finishedBuildOf(record),
      buildId: "slipway-dev-greeter:x",
    });

    expect(own).toMatchObject({
      kind: "ignored",
      reason: expect.stringContaining("slipway-dev-greeter"),
    });
    expect(workloads.patches).toEqual([]);
  });

  it("fails with nothing to restore when the only Deployment lacks the container", async () => {
    const { deps, ledger, github, workloads } = kit({
      target: { ...target, deployments: [{ ...server, container: "sidecar" }] },
    });
    const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence: 1 });

    const outcome = await deployBuild(deps, finishedBuildOf(record));

    expect(outcome).toMatchObject({ kind: "failed" });
    expect(workloads.patches).toEqual([]);
    expect(await ledger.get({ stage: "dev", service: "chat", sequence: 1 })).toMatchObject({
      state: "failed",
    });
    expect(github.deploymentStatuses.at(-1)?.description).toContain('no container "sidecar"');
  });
});
