import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { githubPayload } from "../../../../test/events/github/fixtures.ts";
import { branchGlob } from "../model/branch-glob.ts";
import { PushEvent, zeroSha } from "../model/push-event.ts";
import { StageConfig } from "../model/stage-config.ts";
import { BuildEnv, planBuild, planBuilds, SkipReason, withSequence } from "./build-plan.ts";

const deliveryId = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
const repository = { fullName: "Codertocat/Hello-World", id: 186853002 };
const config = StageConfig.parse({
  stages: [
    {
      name: "production",
      service: "chat",
      repository,
      branches: ["master", "main"],
      codebuildProject: "slipway-production",
      imageRepository: "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-production",
      deployments: [{ namespace: "chat", name: "chat-server", container: "server" }],
    },
    {
      name: "preview",
      service: "chat",
      repository,
      branches: ["feature/**"],
      codebuildProject: "slipway-preview",
      imageRepository: "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-preview",
      deployments: [{ namespace: "chat-preview", name: "chat-server", container: "server" }],
    },
  ],
});

function branchPush() {
  return githubPayload("push-branch");
}

describe("planBuild", () => {
  it("builds a mapped branch push at its full SHA with commit, stage and delivery in the environment", () => {
    // Prepare
    const push = PushEvent.parse(branchPush());

    // Act
    const plan = planBuild(push, config, deliveryId);

    // Assess
    expect(plan).toMatchObject({
      kind: "build",
      stage: { name: "production" },
      commit: {
        sha: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        branch: "master",
        repository: { owner: "Codertocat", name: "Hello-World" },
      },
      request: {
        projectName: "slipway-production",
        sourceVersion: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        idempotencyToken: `${deliveryId}/chat`,
        environment: {
          [BuildEnv.commit]: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
          [BuildEnv.stage]: "production",
          [BuildEnv.service]: "chat",
          [BuildEnv.deliveryId]: deliveryId,
        },
      },
    });
  });

  it("picks the first stage whose globs match the branch", () => {
    const payload = branchPush();
    payload.ref = "refs/heads/feature/login/form";

    const plan = planBuild(PushEvent.parse(payload), config, deliveryId);

    expect(plan).toMatchObject({ kind: "build", stage: { name: "preview" } });
  });

  it.each([
    ["a created tag", () => githubPayload("push-tag"), SkipReason.tag],
    ["a deleted tag", () => githubPayload("push-tag-deleted"), SkipReason.tag],
    [
      "a deleted branch",
      () => ({ ...branchPush(), deleted: true, after: zeroSha, head_commit: null }),
      SkipReason.branchDeleted,
    ],
    [
      "a push whose after is all zeros",
      () => ({ ...branchPush(), after: zeroSha }),
      SkipReason.branchDeleted,
    ],
    [
      "an unmapped branch",
      () => ({ ...branchPush(), ref: "refs/heads/experiment" }),
      SkipReason.unmappedBranch,
    ],
    ["a note ref", () => ({ ...branchPush(), ref: "refs/notes/commits" }), SkipReason.notABranch],
  ])("skips %s", (_, payload, reason) => {
    const plan = planBuild(PushEvent.parse(payload()), config, deliveryId);

    expect(plan).toEqual({ kind: "skip", reason });
  });

  it.each([
    "Fix typo [skip ci]",
    "[ci skip] docs only",
    "Docs\n\nbody mentions [SKIP CI] on a later line",
  ])("skips a head commit whose message says %j", (message) => {
    const payload = branchPush();
    payload.head_commit.message = message;

    const plan = planBuild(PushEvent.parse(payload), config, deliveryId);

    expect(plan).toEqual({ kind: "skip", reason: SkipReason.skipCi });
  });

  it("builds when only an older commit of the push says [skip ci]", () => {
    const payload = branchPush();
    payload.commits[0].message = "WIP [skip ci]";

    const plan = planBuild(PushEvent.parse(payload), config, deliveryId);

    expect(plan.kind).toBe("build");
  });
});

describe("withSequence", () => {
  it("adds the sequence to the environment and keeps the planned overrides", () => {
    const plan = planBuild(PushEvent.parse(branchPush()), config, deliveryId);
    if (plan.kind !== "build") throw new Error("expected a build plan");

    const request = withSequence(plan.request, 42);

    expect(request.environment).toEqual({ ...plan.request.environment, [BuildEnv.sequence]: "42" });
    expect(plan.request.environment[BuildEnv.sequence]).toBeUndefined();
  });
});

describe("PushEvent", () => {
  it("rejects a push whose after is not a full SHA", () => {
    const payload = { ...branchPush(), after: "6113728" };

    expect(PushEvent.safeParse(payload).success).toBe(false);
  });
});

describe("StageConfig", () => {
  it("refuses the same service twice on one stage", () => {
    const stage = config.stages[0];

    expect(StageConfig.safeParse({ stages: [stage, stage] }).success).toBe(false);
  });

  it("defaults stopOlderBuilds to false", () => {
    expect(config.stages[0]?.stopOlderBuilds).toBe(false);
  });
});

describe("planBuilds", () => {
  // A monorepo: the chat everywhere but services/greeter, the greeter only there.
  const monorepo = StageConfig.parse({
    stages: [
      { ...config.stages[0], codebuildProject: "p-chat", paths: ["grpc-app/**", "proto/**"] },
      {
        ...config.stages[0],
        service: "greeter",
        codebuildProject: "p-greeter",
        paths: ["examples/greeter/**", "proto/greeter/**"],
      },
    ],
  }).stages;
  /** A push to master of an existing branch whose one commit touched `files`. */
  const pushTouching = (...files: string[]) =>
    PushEvent.parse({
      ...branchPush(),
      created: false,
      commits: [{ added: [], modified: files, removed: [] }],
    });
  const services = (plans: ReturnType<typeof planBuilds>) =>
    plans.kind === "build" ? plans.plans.map((p) => p.stage.service) : plans.reason;

  it("builds only the service whose paths the push touched", () => {
    expect(
      services(planBuilds(pushTouching("examples/greeter/server.ts"), monorepo, deliveryId)),
    ).toEqual(["greeter"]);
    expect(
      services(planBuilds(pushTouching("grpc-app/src/main.ts"), monorepo, deliveryId)),
    ).toEqual(["chat"]);
  });

  it("builds both services when one push touches both, each with its own project and service", () => {
    const plans = planBuilds(
      pushTouching("proto/greeter/v1/greeter.proto", "proto/chat/v1/chat.proto"),
      monorepo,
      deliveryId,
    );

    if (plans.kind !== "build") throw new Error("expected builds");
    expect(
      plans.plans.map((p) => [p.request.projectName, p.request.environment[BuildEnv.service]]),
    ).toEqual([
      ["p-chat", "chat"],
      ["p-greeter", "greeter"],
    ]);
  });

  it("builds nothing, saying why, when the push touched no service's paths", () => {
    expect(planBuilds(pushTouching("README.md"), monorepo, deliveryId)).toEqual({
      kind: "skip",
      reason: SkipReason.noServicePaths,
    });
  });

  it.each([
    ["a new branch", { created: true }],
    ["a force-push", { forced: true }],
    ["no commits listed", { commits: [] }],
    [
      "a commit list at GitHub's cap",
      {
        commits: Array.from({ length: 20 }, () => ({
          added: ["README.md"],
          modified: [],
          removed: [],
        })),
      },
    ],
  ])("builds every service when the file lists cannot be trusted: %s", (_, change) => {
    const push = PushEvent.parse({ ...pushTouching("README.md"), ...change });

    expect(services(planBuilds(push, monorepo, deliveryId))).toEqual(["chat", "greeter"]);
  });

  it("builds a service exactly when some changed file matches one of its globs (property)", () => {
    const segment = fc.constantFrom(
      "grpc-app",
      "proto",
      "greeter",
      "examples",
      "src",
      "README.md",
      "x.ts",
    );
    const file = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join("/"));
    fc.assert(
      fc.property(fc.array(file, { minLength: 1, maxLength: 6 }), (files) => {
        const plans = planBuilds(pushTouching(...files), monorepo, deliveryId);
        const built = plans.kind === "build" ? plans.plans.map((p) => p.stage.service) : [];
        for (const lane of monorepo) {
          const touched = files.some((f) => (lane.paths ?? []).some((g) => branchGlob(g).test(f)));
          expect(built.includes(lane.service)).toBe(touched);
        }
      }),
    );
  });
});
