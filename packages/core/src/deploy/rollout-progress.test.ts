import { describe, expect, it } from "vitest";
import { DeployAnnotation } from "../model/deploy-annotations.ts";
import type { WorkloadState } from "../ports/workloads.ts";
import { combineProgress, targetProgress } from "./rollout-progress.ts";

const own = { sequence: 7, image: "repo@sha256:7" };

function state(
  overrides: Partial<WorkloadState> = {},
  status: Record<string, unknown> = {},
): WorkloadState {
  return {
    target: { namespace: "chat", name: "chat-server", container: "server" },
    resourceVersion: "1",
    image: own.image,
    annotations: { [DeployAnnotation.sequence]: "7" },
    highWater: 7,
    snapshot: {
      metadata: { name: "chat-server", generation: 2 },
      spec: { replicas: 2 },
      status: {
        observedGeneration: 2,
        replicas: 2,
        updatedReplicas: 2,
        availableReplicas: 2,
        ...status,
      },
    },
    ...overrides,
  };
}

describe("targetProgress", () => {
  it("is complete by kubectl's rules when every replica is updated and available", () => {
    expect(targetProgress(state(), own)).toMatchObject({ kind: "complete" });
  });

  it("is superseded when a newer sequence holds the Deployment, whatever its rollout", () => {
    const newer = state({
      annotations: { [DeployAnnotation.sequence]: "8" },
      image: "repo@sha256:8",
    });

    expect(targetProgress(newer, own)).toMatchObject({ kind: "superseded", by: 8 });
  });

  it("is replaced when the image changed under the same sequence", () => {
    expect(targetProgress(state({ image: "repo@sha256:6" }), own)).toMatchObject({
      kind: "replaced",
    });
  });

  it("names the deadline when the rollout failed", () => {
    const stuck = state(
      {},
      {
        updatedReplicas: 1,
        conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" }],
      },
    );

    expect(targetProgress(stuck, own)).toMatchObject({
      kind: "failed",
      reason: expect.stringContaining("ProgressDeadlineExceeded"),
    });
  });
});

describe("combineProgress", () => {
  const named = <T>(p: T) => ({ name: "chat/x", ...p });

  it("is complete only when every Deployment is", () => {
    expect(
      combineProgress([
        named({ kind: "complete" as const }),
        named({ kind: "progressing" as const, pending: ["a"] }),
      ]),
    ).toEqual({
      kind: "progressing",
      pending: ["a"],
    });
  });

  it("lets a newer build outrank a failure, so an older one never rolls back a newer image", () => {
    expect(
      combineProgress([
        named({ kind: "failed" as const, reason: "x" }),
        named({ kind: "superseded" as const, by: 9 }),
      ]),
    ).toEqual({ kind: "superseded", by: 9 });
  });
});
