import { describe, expect, it } from "vitest";
import { githubPayload } from "../../../../test/events/github/fixtures.ts";
import { PushEvent, zeroSha } from "../model/push-event.ts";
import { StageConfig } from "../model/stage-config.ts";
import { BuildEnv, planBuild, SkipReason, withSequence } from "./build-plan.ts";

const deliveryId = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
const config = StageConfig.parse({
  stages: [
    {
      name: "production",
      branches: ["master", "main"],
      codebuildProject: "slipway-production",
      imageRepository: "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-production",
      deployments: [{ namespace: "chat", name: "chat-server", container: "server" }],
    },
    {
      name: "preview",
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
        idempotencyToken: deliveryId,
        environment: {
          [BuildEnv.commit]: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
          [BuildEnv.stage]: "production",
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
  it("refuses two stages with the same name", () => {
    const stage = config.stages[0];

    expect(StageConfig.safeParse({ stages: [stage, stage] }).success).toBe(false);
  });

  it("defaults stopOlderBuilds to false", () => {
    expect(config.stages[0]?.stopOlderBuilds).toBe(false);
  });
});
