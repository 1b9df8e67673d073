import { readdirSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { serviceFiles } from "./services/index.ts";
import {
  codeConnectionArn,
  seconds,
  services,
  stageSettings,
  stages,
  thisRepository,
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
  const here = {
    SLIPWAY_GITHUB_REPOSITORY: "acme/chat",
    SLIPWAY_GITHUB_REPOSITORY_ID: "186853002",
  };

  it("requires SLIPWAY_GITHUB_REPOSITORY instead of building someone else's repository", () => {
    expect(() => thisRepository({})).toThrow(/Set SLIPWAY_GITHUB_REPOSITORY/);
  });

  it("requires owner/name for the GitHub repository, and its numeric id, which the webhook checks with the name", () => {
    expect(thisRepository(here)).toEqual({ fullName: "acme/chat", id: 186853002 });
    expect(() =>
      thisRepository({ ...here, SLIPWAY_GITHUB_REPOSITORY: "https://github.com/acme/chat" }),
    ).toThrow(/owner\/name/);
    expect(() => thisRepository({ SLIPWAY_GITHUB_REPOSITORY: "acme/chat" })).toThrow(
      /Set SLIPWAY_GITHUB_REPOSITORY_ID/,
    );
    expect(() => thisRepository({ ...here, SLIPWAY_GITHUB_REPOSITORY_ID: "acme/chat" })).toThrow(
      /positive integer/,
    );
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

describe("services", () => {
  const here = {
    SLIPWAY_GITHUB_REPOSITORY: "acme/chat",
    SLIPWAY_GITHUB_REPOSITORY_ID: "186853002",
  };

  it("loads every file in infra/services/ with this repository resolved, the chat first", () => {
    const declared = services(here);

    expect(declared.map((s) => [s.name, s.namespace, s.repository.fullName])).toEqual([
      ["chat", "chat", "acme/chat"],
      ["greeter", "greeter", "acme/chat"],
    ]);
  });

  it("lists every service file of the folder, so adding a service is its file and its line", () => {
    const folder = resolve(import.meta.dirname, "services");
    const files = readdirSync(folder).filter(
      (f) => f.endsWith(".ts") && !["index.ts", "service-file.ts"].includes(f),
    );

    expect(files.map((f) => f.replace(/\.ts$/, "")).sort()).toEqual(
      services(here)
        .map((s) => s.name)
        .sort(),
    );
  });

  it("refuses two services in one namespace, naming it: one deployer Role per namespace", () => {
    const [chat, greeter] = serviceFiles;
    if (!chat || !greeter) throw new Error("no services");

    expect(() => services(here, [chat, { ...greeter, namespace: "chat" }])).toThrow(
      /two services declare the namespace chat/,
    );
  });

  it("refuses a bad declaration before anything is created, naming the service and the field", () => {
    const [chat] = serviceFiles;
    if (!chat) throw new Error("no chat");

    expect(() => services(here, [{ ...chat, namespace: "Chat_NS" }])).toThrow(
      /chat: namespace: a lowercase DNS label/,
    );
    expect(() => services(here, [{ ...chat, build: { dockerfile: "" } }])).toThrow(/chat: build/);
  });
});
