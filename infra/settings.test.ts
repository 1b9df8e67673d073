import { describe, expect, it } from "vitest";
import {
  codeConnectionArn,
  githubRepository,
  githubRepositoryId,
  seconds,
  stageSettings,
  stages,
} from "./settings.ts";

describe("stage settings", () => {
  it("refuses an unknown stage instead of giving a typo such as prod dev's settings", () => {
    expect(() => stageSettings("prod", {})).toThrow(/Unknown stage "prod".*SLIPWAY_PERSONAL=1/);
  });

  it("gives a declared personal stage small, removable settings that deploy its own branch", () => {
    const personal = stageSettings("alice", { SLIPWAY_PERSONAL: "1" });
    expect(personal).toMatchObject({ ha: false, retain: false, overlay: "dev" });
    expect(personal.branches).toBeUndefined();
  });

  it("retains production and lets dev be removed", () => {
    expect(stageSettings("production", {}).retain).toBe(true);
    expect(stageSettings("dev", {}).retain).toBe(false);
  });

  it("reserves no webhook concurrency by default, which a new account's quota of 10 would refuse", () => {
    for (const stage of Object.keys(stages)) {
      expect(stageSettings(stage, {}).webhookReservedConcurrency).toBeUndefined();
    }
  });

  it("refuses a public EKS endpoint open to the whole internet", () => {
    stages.bad = { ...structuredClone(stages.dev), publicEndpointCidrs: ["0.0.0.0/0"] } as never;
    expect(() => stageSettings("bad", {})).toThrow(/0\.0\.0\.0\/0/);
    delete stages.bad;
  });

  it("refuses a domain without the certificate that serves it", () => {
    stages.half = { ...structuredClone(stages.dev), domain: "chat.example.com" } as never;
    expect(() => stageSettings("half", {})).toThrow(/certificateArn/);
    delete stages.half;
  });

  it("adds cluster admins from SLIPWAY_CLUSTER_ADMINS and refuses what is not an IAM ARN", () => {
    const arn = "arn:aws:iam::123456789012:role/platform-team";
    expect(stageSettings("dev", { SLIPWAY_CLUSTER_ADMINS: ` ${arn} ,` }).clusterAdmins).toEqual([
      arn,
    ]);
    expect(() => stageSettings("dev", { SLIPWAY_CLUSTER_ADMINS: "alice" })).toThrow(/not an IAM/);
  });

  it("keeps control-plane logs for a bounded number of days on every stage", () => {
    for (const stage of Object.keys(stages)) {
      expect(stageSettings(stage, {}).controlPlaneLogDays).toBeGreaterThan(0);
    }
  });

  it("parses durations written the SST way and names the fix otherwise", () => {
    expect(seconds("300 seconds")).toBe(300);
    expect(() => seconds("5 minutes" as never)).toThrow(/must look like "300 seconds"/);
  });
});

describe("repository settings", () => {
  it("requires SLIPWAY_GITHUB_REPOSITORY instead of building someone else's repository", () => {
    expect(() => githubRepository({})).toThrow(/Set SLIPWAY_GITHUB_REPOSITORY/);
  });

  it("requires owner/name for the GitHub repository", () => {
    expect(githubRepository({ SLIPWAY_GITHUB_REPOSITORY: "acme/chat" })).toBe("acme/chat");
    expect(() =>
      githubRepository({ SLIPWAY_GITHUB_REPOSITORY: "https://github.com/acme/chat" }),
    ).toThrow(/owner\/name/);
  });

  it("requires the repository's numeric id, which the webhook checks with the name", () => {
    expect(() => githubRepositoryId({})).toThrow(/Set SLIPWAY_GITHUB_REPOSITORY_ID/);
    expect(() => githubRepositoryId({ SLIPWAY_GITHUB_REPOSITORY_ID: "acme/chat" })).toThrow(
      /positive integer/,
    );
    expect(githubRepositoryId({ SLIPWAY_GITHUB_REPOSITORY_ID: "186853002" })).toBe(186853002);
  });

  it("accepts a CodeConnections connection ARN for a private repository, and only that", () => {
    const arn =
      "arn:aws:codeconnections:us-east-1:123456789012:connection/0a1b2c3d-aaaa-bbbb-cccc-1234567890ab";
    expect(codeConnectionArn({ SLIPWAY_CODECONNECTION_ARN: arn })).toBe(arn);
    expect(codeConnectionArn({})).toBeUndefined();
    expect(() => codeConnectionArn({ SLIPWAY_CODECONNECTION_ARN: "ghp_token" })).toThrow(
      /connection ARN/,
    );
  });
});
