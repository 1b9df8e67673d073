import { describe, expect, it } from "vitest";
import { githubRepository, seconds, stageSettings, stages } from "./settings.ts";

describe("stage settings", () => {
  it("treats an unknown stage as dev", () => {
    expect(stageSettings("pr-42")).toEqual(stages.dev);
  });

  it("refuses a public EKS endpoint open to the whole internet", () => {
    stages.bad = { ...structuredClone(stages.dev), publicEndpointCidrs: ["0.0.0.0/0"] } as never;
    expect(() => stageSettings("bad")).toThrow(/0\.0\.0\.0\/0/);
    delete stages.bad;
  });

  it("refuses an HA stage with fewer than two nodes", () => {
    const production = structuredClone(stages.production);
    stages.tiny = { ...production, nodes: { ...production?.nodes, min: 1 } } as never;
    expect(() => stageSettings("tiny")).toThrow(/nodes.min >= 2/);
    delete stages.tiny;
  });

  it("parses durations written the SST way and names the fix otherwise", () => {
    expect(seconds("300 seconds")).toBe(300);
    expect(() => seconds("5 minutes" as never)).toThrow(/must look like "300 seconds"/);
  });

  it("requires owner/name for the GitHub repository", () => {
    expect(githubRepository({ SLIPWAY_GITHUB_REPOSITORY: "acme/chat" })).toBe("acme/chat");
    expect(() =>
      githubRepository({ SLIPWAY_GITHUB_REPOSITORY: "https://github.com/acme/chat" }),
    ).toThrow(/owner\/name/);
  });
});
