import { seedDeployment } from "@slipway/ledger/testing";
import { describe, expect, it } from "vitest";
import inProgress from "../../../../test/events/codebuild/in-progress.json" with { type: "json" };
import { deps as testDeps } from "../testing/deps.ts";
import type { BuildStateChange } from "./build-event.ts";
import { type BuildStart, markBuilding, readStartedBuild } from "./mark-building.ts";

const now = () => new Date("2026-11-26T10:05:00.000Z");
const detail = () => structuredClone(inProgress.detail) as unknown as BuildStateChange;

async function seeded(state: "queued" | "succeeded" = "queued") {
  const ledger = testDeps().memory;
  const record = await seedDeployment(ledger, { stage: "dev", sequence: 3, state });
  const build: BuildStart = {
    stage: "dev",
    service: "chat",
    sequence: 3,
    deliveryId: record.deliveryId,
    buildId: record.buildId,
  };
  return { ledger, build, deps: { ledger, now, target: { stage: "dev", service: "chat" } } };
}

describe("readStartedBuild", () => {
  it("reads stage, sequence, delivery and build id from a real IN_PROGRESS event", () => {
    expect(readStartedBuild(detail())).toEqual({
      stage: "dev",
      service: "chat",
      sequence: 7,
      deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
      buildId: "slipway-dev-BuildProject:8745a7a9-c340-456a-9166-edf953571b3e",
    });
  });

  it("ignores finished builds and builds Slipway did not start", () => {
    const finished = { ...detail(), "build-status": "SUCCEEDED" };
    expect(readStartedBuild(finished)).toBeUndefined();
    const foreign = detail();
    foreign["additional-information"].environment["environment-variables"] = [];
    expect(readStartedBuild(foreign)).toBeUndefined();
  });
});

describe("markBuilding", () => {
  it("moves a queued deployment to building", async () => {
    const { ledger, build, deps } = await seeded();

    expect(await markBuilding(deps, build)).toEqual({ kind: "building" });
    const record = await ledger.get({ stage: "dev", service: "chat", sequence: 3 });
    expect(record?.state).toBe("building");
    expect(record?.transitions.at(-1)).toEqual({ state: "building", at: now().toISOString() });
  });

  it("changes nothing when the start event arrives after the build finished, or twice", async () => {
    const { ledger, build, deps } = await seeded();
    await markBuilding(deps, build);

    expect(await markBuilding(deps, build)).toEqual({ kind: "duplicate", state: "building" });
    const late = await seeded("succeeded");
    expect(await markBuilding(late.deps, late.build)).toEqual({
      kind: "duplicate",
      state: "succeeded",
    });
    expect(
      (await ledger.get({ stage: "dev", service: "chat", sequence: 3 }))?.transitions,
    ).toHaveLength(2);
  });

  it("ignores another stage's build and a build that does not match the ledger", async () => {
    const { build, deps } = await seeded();
    expect(
      await markBuilding({ ...deps, target: { stage: "production", service: "chat" } }, build),
    ).toMatchObject({
      kind: "ignored",
    });
    expect(await markBuilding(deps, { ...build, buildId: "other:build" })).toEqual({
      kind: "ignored",
      reason: "build does not match the ledger's deployment",
    });
  });
});
