import { describe, expect, it } from "vitest";
import { githubPayload } from "../../../../test/events/github/fixtures.ts";
import { PushEvent } from "../model/push-event.ts";
import { TransientError } from "../ports/infrastructure-errors.ts";
import { deps as testDeps } from "../testing/deps.ts";
import { acceptPush } from "./accept-push.ts";
import { BuildEnv, SkipReason } from "./build-plan.ts";

const sha = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";

function setup(options: { stopOlderBuilds?: boolean } = {}) {
  const kit = testDeps({
    now: new Date("2026-11-25T10:00:00.000Z"),
    stages: {
      environmentUrl: "https://chat.example.com",
      production: true,
      stopOlderBuilds: options.stopOlderBuilds ?? false,
    },
  });
  return { deps: kit.deps, ledger: kit.memory, warnings: kit.warnedWith, advance: kit.advance };
}

const push = (overrides: Record<string, unknown> = {}) =>
  PushEvent.parse({ ...githubPayload("push-branch"), ...overrides });

describe("acceptPush", () => {
  it("starts one build with the delivery as idempotency token and the sequence in the environment", async () => {
    // Prepare
    const { deps } = setup();

    // Act
    const outcome = await acceptPush(deps, { deliveryId: "d-1", push: push() });

    // Assess
    expect(outcome).toMatchObject({ kind: "accepted", stage: "production", sequence: 1 });
    expect(deps.builds.started).toEqual([
      {
        projectName: "slipway-production",
        sourceVersion: sha,
        idempotencyToken: "d-1",
        environment: {
          [BuildEnv.commit]: sha,
          [BuildEnv.stage]: "production",
          [BuildEnv.deliveryId]: "d-1",
          [BuildEnv.sequence]: "1",
        },
      },
    ]);
  });

  it("records the deployment as queued and reported once GitHub has it", async () => {
    const { deps } = setup();

    const outcome = await acceptPush(deps, { deliveryId: "d-1", push: push() });

    if (outcome.kind !== "accepted") throw new Error(`unexpected ${outcome.kind}`);
    const record = await deps.ledger.get({ stage: outcome.stage, sequence: outcome.sequence });
    expect(record?.buildId).toBe(outcome.buildId);
    expect(record).toMatchObject({
      stage: "production",
      sequence: 1,
      deliveryId: "d-1",
      state: "queued",
      commit: sha,
      commitTitle: "Initial commit",
      githubReport: "reported",
      githubDeploymentId: 1001,
      logUrl: outcome.logUrl,
    });
  });

  it("creates a GitHub Deployment for the stage with status queued linking the build log", async () => {
    const { deps } = setup();

    const outcome = await acceptPush(deps, { deliveryId: "d-1", push: push() });

    if (outcome.kind !== "accepted") throw new Error(`unexpected ${outcome.kind}`);
    const repository = { owner: "Codertocat", name: "Hello-World" };
    expect(deps.github.deployments).toEqual([
      {
        repository,
        sha,
        environment: "production",
        description: "Build #1 queued",
        production: true,
        payload: { deliveryId: "d-1", sequence: 1, buildId: outcome.buildId },
      },
    ]);
    expect(deps.github.deploymentStatuses).toEqual([
      {
        repository,
        deploymentId: 1001,
        state: "queued",
        description: "Build #1 queued",
        logUrl: outcome.logUrl,
        environmentUrl: "https://chat.example.com",
      },
    ]);
    expect(deps.github.commitStatuses).toEqual([
      {
        repository,
        sha,
        state: "pending",
        context: "slipway/production",
        description: "Build #1 queued",
        targetUrl: outcome.logUrl,
      },
    ]);
  });

  it("starts nothing and writes nothing for a skipped push", async () => {
    const { deps, ledger } = setup();

    const outcome = await acceptPush(deps, {
      deliveryId: "d-1",
      push: push({ ref: "refs/heads/experiment" }),
    });

    expect(outcome).toEqual({ kind: "skipped", reason: SkipReason.unmappedBranch });
    expect(deps.builds.started).toEqual([]);
    expect(await ledger.nextSequence("production")).toBe(1);
    expect(deps.github.deployments).toEqual([]);
  });

  it("answers a redelivery as a duplicate with the first build and starts nothing", async () => {
    const { deps, advance } = setup();
    const first = await acceptPush(deps, { deliveryId: "d-1", push: push() });
    advance(2 * 24 * 60 * 60 * 1000);

    const again = await acceptPush(deps, { deliveryId: "d-1", push: push() });

    expect(first.kind).toBe("accepted");
    expect(again).toEqual({
      kind: "duplicate",
      buildId: first.kind === "accepted" ? first.buildId : "",
    });
    expect(deps.builds.started).toHaveLength(1);
    expect(deps.github.deployments).toHaveLength(1);
  });

  it("starts exactly one build for 50 concurrent redeliveries", async () => {
    const { deps } = setup();

    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () => acceptPush(deps, { deliveryId: "d-1", push: push() })),
    );

    expect(outcomes.filter((o) => o.kind === "accepted")).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === "duplicate")).toHaveLength(49);
    expect(deps.builds.started).toHaveLength(1);
  });

  it("lets a redelivery take over a claim whose holder died and reuses its sequence", async () => {
    // Prepare: a first attempt claimed and got a sequence, then died before StartBuild.
    const { deps, advance } = setup();
    await deps.ledger.claimDelivery({
      deliveryId: "d-1",
      claimedAt: deps.now(),
      leaseUntil: new Date(deps.now().getTime() + 60_000),
      retainUntil: new Date(deps.now().getTime() + 7 * 86_400_000),
    });
    const sequence = await deps.ledger.assignSequence("d-1", "production");
    advance(61_000);

    // Act
    const outcome = await acceptPush(deps, { deliveryId: "d-1", push: push() });

    // Assess
    expect(outcome).toMatchObject({ kind: "accepted", sequence });
    expect(deps.builds.started).toHaveLength(1);
  });

  it("keeps the build when GitHub is down, logs it and marks the report pending", async () => {
    const { deps, warnings } = setup();
    deps.github.outage = new Error("GitHub answered 503");

    const outcome = await acceptPush(deps, { deliveryId: "d-1", push: push() });

    expect(outcome).toMatchObject({ kind: "accepted", githubReport: "pending" });
    expect(deps.builds.started).toHaveLength(1);
    expect(await deps.ledger.latest("production")).toMatchObject({
      githubReport: "pending",
      state: "queued",
    });
    expect(warnings).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/GitHub report failed/) }),
    ]);
  });

  it("fails without recording anything when CodeBuild refuses the build", async () => {
    const { deps } = setup();
    deps.builds.failStarts(new Error("AccountLimitExceededException"));

    await expect(acceptPush(deps, { deliveryId: "d-1", push: push() })).rejects.toThrow(
      "AccountLimitExceededException",
    );
    expect(await deps.ledger.latest("production")).toBeUndefined();
    expect(deps.github.deployments).toEqual([]);
  });

  it("retries a throttled StartBuild, as core retries Kubernetes, and starts one build", async () => {
    const { deps } = setup();
    const start = deps.builds.start.bind(deps.builds);
    let calls = 0;
    deps.builds.start = async (request) => {
      calls++;
      if (calls < 3) throw new TransientError("CodeBuild StartBuild");
      return start(request);
    };

    const outcome = await acceptPush(deps, { deliveryId: "d-1", push: push() });

    expect(outcome).toMatchObject({ kind: "accepted", sequence: 1 });
    expect(calls).toBe(3);
    expect(deps.builds.started).toHaveLength(1);
  });
});

describe("acceptPush superseding", () => {
  it("marks the older queued build superseded by the newer push", async () => {
    const { deps } = setup();
    await acceptPush(deps, { deliveryId: "d-1", push: push() });

    const newer = await acceptPush(deps, { deliveryId: "d-2", push: push() });

    expect(newer).toMatchObject({ kind: "accepted", sequence: 2, superseded: [1] });
    expect(await deps.ledger.get({ stage: "production", sequence: 1 })).toMatchObject({
      state: "superseded",
      supersededBy: 2,
    });
    expect(deps.builds.stopped).toEqual([]);
  });

  it("stops the older build when the stage asks for it and tells GitHub it is inactive", async () => {
    const { deps } = setup({ stopOlderBuilds: true });
    const older = await acceptPush(deps, { deliveryId: "d-1", push: push() });

    await acceptPush(deps, { deliveryId: "d-2", push: push() });

    expect(deps.builds.stopped).toEqual([older.kind === "accepted" ? older.buildId : ""]);
    expect(deps.github.deploymentStatuses).toContainEqual(
      expect.objectContaining({
        deploymentId: 1001,
        state: "inactive",
        description: "Superseded by #2",
      }),
    );
    expect(deps.github.commitStatuses.at(-1)).toMatchObject({
      state: "error",
      context: "slipway/production",
      description: "Superseded by #2",
    });
  });

  it("leaves only the newest of 20 concurrent pushes in flight", async () => {
    const { deps } = setup();

    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        acceptPush(deps, { deliveryId: `d-${i}`, push: push() }),
      ),
    );

    const sequences = outcomes.map((o) => (o.kind === "accepted" ? o.sequence : 0));
    expect(new Set(sequences).size).toBe(20);
    expect([...sequences].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    expect((await deps.ledger.inFlight("production")).map((r) => r.sequence)).toEqual([20]);
  });

  it("leaves a deployment that is already deploying alone", async () => {
    const { deps } = setup();
    await acceptPush(deps, { deliveryId: "d-1", push: push() });
    await deps.ledger.transition(
      { stage: "production", sequence: 1 },
      { from: ["queued"], to: "deploying", at: deps.now() },
    );

    const newer = await acceptPush(deps, { deliveryId: "d-2", push: push() });

    expect(newer).toMatchObject({ superseded: [] });
    expect(await deps.ledger.get({ stage: "production", sequence: 1 })).toMatchObject({
      state: "deploying",
    });
  });
});
