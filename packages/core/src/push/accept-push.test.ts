import { createHash } from "node:crypto";
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

/** acceptPush with the body's digest the edge would compute (JSON of the push here). */
const accept = (
  deps: Parameters<typeof acceptPush>[0],
  input: { deliveryId: string; push: PushEvent },
) =>
  acceptPush(deps, {
    ...input,
    bodyDigest: createHash("sha256").update(JSON.stringify(input.push)).digest("hex"),
  });

/** A distinct push of its own commit (another body, so never a replay of another). */
const pushOf = (n: number) => push({ after: n.toString(16).padStart(40, "a") });

const push = (overrides: Record<string, unknown> = {}) =>
  PushEvent.parse({ ...githubPayload("push-branch"), ...overrides });

describe("acceptPush", () => {
  it("starts one build with the delivery as idempotency token and the sequence in the environment", async () => {
    // Prepare
    const { deps } = setup();

    // Act
    const outcome = await accept(deps, { deliveryId: "d-1", push: push() });

    // Assess
    expect(outcome).toMatchObject({ kind: "accepted", stage: "production", sequence: 1 });
    expect(deps.builds.started).toEqual([
      {
        projectName: "slipway-production",
        sourceVersion: sha,
        idempotencyToken: "d-1/chat",
        environment: {
          [BuildEnv.commit]: sha,
          [BuildEnv.stage]: "production",
          [BuildEnv.service]: "chat",
          [BuildEnv.deliveryId]: "d-1",
          [BuildEnv.sequence]: "1",
        },
      },
    ]);
  });

  it("records the deployment as queued and reported once GitHub has it", async () => {
    const { deps } = setup();

    const outcome = await accept(deps, { deliveryId: "d-1", push: push() });

    if (outcome.kind !== "accepted") throw new Error(`unexpected ${outcome.kind}`);
    const record = await deps.ledger.get({
      stage: outcome.stage,
      service: "chat",
      sequence: outcome.sequence,
    });
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

    const outcome = await accept(deps, { deliveryId: "d-1", push: push() });

    if (outcome.kind !== "accepted") throw new Error(`unexpected ${outcome.kind}`);
    const repository = { owner: "Codertocat", name: "Hello-World" };
    expect(deps.github.deployments).toEqual([
      {
        repository,
        sha,
        environment: "production/chat",
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
        context: "slipway/production/chat",
        description: "Build #1 queued",
        targetUrl: outcome.logUrl,
      },
    ]);
  });

  it("starts nothing and writes nothing for a skipped push", async () => {
    const { deps, ledger } = setup();

    const outcome = await accept(deps, {
      deliveryId: "d-1",
      push: push({ ref: "refs/heads/experiment" }),
    });

    expect(outcome).toEqual({ kind: "skipped", reason: SkipReason.unmappedBranch });
    expect(deps.builds.started).toEqual([]);
    expect(await ledger.nextSequence({ stage: "production", service: "chat" })).toBe(1);
    expect(deps.github.deployments).toEqual([]);
  });

  it("answers a redelivery as a duplicate with the first build and starts nothing", async () => {
    const { deps, advance } = setup();
    const first = await accept(deps, { deliveryId: "d-1", push: push() });
    advance(2 * 24 * 60 * 60 * 1000);

    const again = await accept(deps, { deliveryId: "d-1", push: push() });

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
      Array.from({ length: 50 }, () => accept(deps, { deliveryId: "d-1", push: push() })),
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
      service: "chat",
      claimedAt: deps.now(),
      leaseUntil: new Date(deps.now().getTime() + 60_000),
      retainUntil: new Date(deps.now().getTime() + 7 * 86_400_000),
    });
    const sequence = await deps.ledger.assignSequence("d-1", {
      stage: "production",
      service: "chat",
    });
    advance(61_000);

    // Act
    const outcome = await accept(deps, { deliveryId: "d-1", push: push() });

    // Assess
    expect(outcome).toMatchObject({ kind: "accepted", sequence });
    expect(deps.builds.started).toHaveLength(1);
  });

  it("keeps the build when GitHub is down, logs it and marks the report pending", async () => {
    const { deps, warnings } = setup();
    deps.github.outage = new Error("GitHub answered 503");

    const outcome = await accept(deps, { deliveryId: "d-1", push: push() });

    expect(outcome).toMatchObject({ kind: "accepted", githubReport: "pending" });
    expect(deps.builds.started).toHaveLength(1);
    expect(await deps.ledger.latest({ stage: "production", service: "chat" })).toMatchObject({
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

    await expect(accept(deps, { deliveryId: "d-1", push: push() })).rejects.toThrow(
      "AccountLimitExceededException",
    );
    expect(await deps.ledger.latest({ stage: "production", service: "chat" })).toBeUndefined();
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

    const outcome = await accept(deps, { deliveryId: "d-1", push: push() });

    expect(outcome).toMatchObject({ kind: "accepted", sequence: 1 });
    expect(calls).toBe(3);
    expect(deps.builds.started).toHaveLength(1);
  });
});

describe("acceptPush superseding", () => {
  it("marks the older queued build superseded by the newer push", async () => {
    const { deps } = setup();
    await accept(deps, { deliveryId: "d-1", push: pushOf(1) });

    const newer = await accept(deps, { deliveryId: "d-2", push: pushOf(2) });

    expect(newer).toMatchObject({ kind: "accepted", sequence: 2, superseded: [1] });
    expect(
      await deps.ledger.get({ stage: "production", service: "chat", sequence: 1 }),
    ).toMatchObject({
      state: "superseded",
      supersededBy: 2,
    });
    expect(deps.builds.stopped).toEqual([]);
  });

  it("stops the older build when the stage asks for it and tells GitHub it is inactive", async () => {
    const { deps } = setup({ stopOlderBuilds: true });
    const older = await accept(deps, { deliveryId: "d-1", push: pushOf(1) });

    await accept(deps, { deliveryId: "d-2", push: pushOf(2) });

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
      context: "slipway/production/chat",
      description: "Superseded by #2",
    });
  });

  it("leaves only the newest of 20 concurrent pushes in flight", async () => {
    const { deps } = setup();

    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => accept(deps, { deliveryId: `d-${i}`, push: pushOf(i) })),
    );

    const sequences = outcomes.map((o) => (o.kind === "accepted" ? o.sequence : 0));
    expect(new Set(sequences).size).toBe(20);
    expect([...sequences].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    expect(
      (await deps.ledger.inFlight({ stage: "production", service: "chat" })).map((r) => r.sequence),
    ).toEqual([20]);
  });

  it("leaves a deployment that is already deploying alone", async () => {
    const { deps } = setup();
    await accept(deps, { deliveryId: "d-1", push: pushOf(1) });
    await deps.ledger.transition(
      { stage: "production", service: "chat", sequence: 1 },
      { from: ["queued"], to: "deploying", at: deps.now() },
    );

    const newer = await accept(deps, { deliveryId: "d-2", push: pushOf(2) });

    expect(newer).toMatchObject({ superseded: [] });
    expect(
      await deps.ledger.get({ stage: "production", service: "chat", sequence: 1 }),
    ).toMatchObject({
      state: "deploying",
    });
  });
});

describe("acceptPush trust checks", () => {
  const atTime = (seconds: number, after: string) => {
    const payload = githubPayload("push-branch");
    return PushEvent.parse({
      ...payload,
      after,
      repository: { ...payload.repository, pushed_at: seconds },
    });
  };

  it("refuses a push of another repository, however validly signed, and starts nothing", async () => {
    const { deps } = setup();
    const payload = githubPayload("push-branch");
    const foreign = PushEvent.parse({
      ...payload,
      repository: { ...payload.repository, id: 99, full_name: "attacker/Hello-World" },
    });
    const renamedTwin = PushEvent.parse({
      ...payload,
      repository: { ...payload.repository, id: 99 },
    });

    const outcomes = [
      await accept(deps, { deliveryId: "d-1", push: foreign }),
      await accept(deps, { deliveryId: "d-2", push: renamedTwin }),
    ];

    expect(outcomes.map((o) => o.kind === "refused" && o.reason)).toEqual([
      "foreign-repository",
      "foreign-repository",
    ]);
    expect(outcomes[0]).toMatchObject({
      detail: expect.stringContaining(
        "no service is declared in attacker/Hello-World (id 99); this webhook builds Codertocat/Hello-World (id 186853002)",
      ),
    });
    expect(deps.builds.started).toEqual([]);
    expect(await deps.ledger.latest({ stage: "production", service: "chat" })).toBeUndefined();
  });

  it("refuses an old body replayed under a new delivery id, while GitHub's own redelivery is a duplicate", async () => {
    const { deps } = setup();
    const old = pushOf(1);
    await accept(deps, { deliveryId: "d-1", push: old });

    const replay = await accept(deps, { deliveryId: "d-attacker", push: old });
    const redelivery = await accept(deps, { deliveryId: "d-1", push: old });

    expect(replay).toMatchObject({ kind: "refused", reason: "replayed" });
    expect(redelivery).toMatchObject({ kind: "duplicate" });
    expect(deps.builds.started).toHaveLength(1);
  });

  it("orders by the push time GitHub signed: an older push is refused, a new force-push of an old commit deploys", async () => {
    const { deps } = setup();
    const oldCommit = "a".repeat(40);
    await accept(deps, { deliveryId: "d-1", push: atTime(1_000, oldCommit) });
    await accept(deps, { deliveryId: "d-2", push: atTime(2_000, "b".repeat(40)) });

    // An old push's body (say, past the body claim's retention) arrives under a new id.
    const stale = await accept(deps, { deliveryId: "d-3", push: atTime(1_500, "c".repeat(40)) });
    // The revert: the old commit force-pushed again, so GitHub signs a new time.
    const revert = await accept(deps, { deliveryId: "d-4", push: atTime(3_000, oldCommit) });

    expect(stale).toMatchObject({
      kind: "refused",
      reason: "stale",
      detail: expect.stringContaining("1970-01-01T00:25:00.000Z"),
    });
    expect(revert).toMatchObject({ kind: "accepted", sequence: 3 });
    expect(deps.builds.started.map((b) => b.sourceVersion)).toEqual([
      oldCommit,
      "b".repeat(40),
      oldCommit,
    ]);
    expect(await deps.ledger.latest({ stage: "production", service: "chat" })).toMatchObject({
      pushedAt: "1970-01-01T00:50:00.000Z",
    });
  });
});

describe("acceptPush with several services", () => {
  const greeterRepository = { fullName: "acme/greeter", id: 4242 };
  /** The chat in GitHub's example repository, and a greeter in a repository of its own. */
  function twoRepositories() {
    const kit = setup();
    const chat = kit.deps.config.stages[0];
    if (chat === undefined) throw new Error("no chat lane");
    const greeter = {
      ...chat,
      service: "greeter",
      repository: greeterRepository,
      codebuildProject: "slipway-production-greeter",
    };
    return { ...kit, deps: { ...kit.deps, config: { stages: [chat, greeter] } }, chat, greeter };
  }
  const greeterPush = (overrides: Record<string, unknown> = {}) =>
    push({
      repository: {
        ...githubPayload("push-branch").repository,
        id: greeterRepository.id,
        full_name: greeterRepository.fullName,
      },
      ...overrides,
    });

  it("routes a push by its repository to that repository's service only", async () => {
    const { deps } = twoRepositories();

    const outcome = await accept(deps, { deliveryId: "d-1", push: greeterPush() });

    expect(outcome).toMatchObject({ kind: "accepted", service: "greeter", sequence: 1 });
    expect(deps.builds.started.map((b) => b.projectName)).toEqual(["slipway-production-greeter"]);
    expect(deps.github.commitStatuses.map((s) => s.context)).toEqual([
      "slipway/production/greeter",
    ]);
    expect(await deps.ledger.latest({ stage: "production", service: "chat" })).toBeUndefined();
  });

  it("numbers each service's pushes on its own and never supersedes another service's build", async () => {
    const { deps } = twoRepositories();

    await accept(deps, { deliveryId: "d-1", push: greeterPush() });
    const chat = await accept(deps, { deliveryId: "d-2", push: pushOf(2) });
    const chatAgain = await accept(deps, { deliveryId: "d-3", push: pushOf(3) });

    expect(chat).toMatchObject({ kind: "accepted", service: "chat", sequence: 1 });
    expect(chatAgain).toMatchObject({ kind: "accepted", sequence: 2, superseded: [1] });
    const greeter = await deps.ledger.latest({ stage: "production", service: "greeter" });
    expect(greeter?.state).toBe("queued");
  });

  it("builds each service of a monorepo push once, and a redelivery builds none again", async () => {
    const { deps } = setup();
    const [chat] = deps.config.stages;
    if (chat === undefined) throw new Error("no chat lane");
    const greeter = { ...chat, service: "greeter", codebuildProject: "p-greeter" };
    const both = { ...deps, config: { stages: [chat, greeter] } };

    const first = await accept(both, { deliveryId: "d-1", push: push() });
    const again = await accept(both, { deliveryId: "d-1", push: push() });

    expect(first).toMatchObject({
      kind: "services",
      outcomes: [
        { service: "chat", outcome: { kind: "accepted", sequence: 1 } },
        { service: "greeter", outcome: { kind: "accepted", sequence: 1 } },
      ],
    });
    expect(again).toMatchObject({
      kind: "services",
      outcomes: [
        { service: "chat", outcome: { kind: "duplicate" } },
        { service: "greeter", outcome: { kind: "duplicate" } },
      ],
    });
    expect(both.builds.started).toHaveLength(2);
  });
});
