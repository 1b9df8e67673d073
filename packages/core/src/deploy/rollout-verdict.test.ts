import { describe, expect, it } from "vitest";
import { type DeploymentSnapshot, rolloutVerdict } from "./rollout-verdict.ts";

const rolledOut: DeploymentSnapshot = {
  metadata: { name: "chat-server", generation: 4 },
  spec: { replicas: 3 },
  status: {
    observedGeneration: 4,
    replicas: 3,
    updatedReplicas: 3,
    availableReplicas: 3,
    conditions: [{ type: "Progressing", status: "True", reason: "NewReplicaSetAvailable" }],
  },
};

function variant(change: (d: Required<DeploymentSnapshot>) => void): DeploymentSnapshot {
  const copy = structuredClone(rolledOut) as Required<DeploymentSnapshot>;
  change(copy);
  return copy;
}

describe("rolloutVerdict, by kubectl rollout status rules", () => {
  it("calls a rollout complete when every replica is updated and available", () => {
    expect(rolloutVerdict(rolledOut)).toEqual({
      kind: "complete",
      message: "chat-server successfully rolled out",
    });
  });

  it("waits while the controller has not observed the new generation", () => {
    const unobserved = variant((d) => {
      d.metadata.generation = 5;
    });
    expect(rolloutVerdict(unobserved)).toMatchObject({
      kind: "progressing",
      message: expect.stringMatching(/observed/),
    });
  });

  it("does not trust a stale ProgressDeadlineExceeded from an older generation", () => {
    const stale = variant((d) => {
      d.metadata.generation = 5;
      d.status.conditions = [
        { type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" },
      ];
    });
    expect(rolloutVerdict(stale).kind).toBe("progressing");
  });

  it("fails when the Progressing condition reports ProgressDeadlineExceeded", () => {
    const stuck = variant((d) => {
      d.status.updatedReplicas = 1;
      d.status.conditions = [
        {
          type: "Progressing",
          status: "False",
          reason: "ProgressDeadlineExceeded",
          message: 'ReplicaSet "x" has timed out',
        },
      ];
    });
    expect(rolloutVerdict(stuck)).toEqual({
      kind: "failed",
      reason: "ProgressDeadlineExceeded",
      message: 'chat-server exceeded its progress deadline: ReplicaSet "x" has timed out',
    });
  });

  it.each([
    [
      "too few updated replicas",
      (d: Required<DeploymentSnapshot>) => Object.assign(d.status, { updatedReplicas: 2 }),
      /2 of 3 new/,
    ],
    [
      "old replicas still running",
      (d: Required<DeploymentSnapshot>) => Object.assign(d.status, { replicas: 4 }),
      /1 old replicas/,
    ],
    [
      "updated replicas not yet available",
      (d: Required<DeploymentSnapshot>) => Object.assign(d.status, { availableReplicas: 2 }),
      /2 of 3 updated/,
    ],
  ])("keeps waiting with %s", (_, change, message) => {
    expect(rolloutVerdict(variant(change))).toMatchObject({
      kind: "progressing",
      message: expect.stringMatching(message),
    });
  });

  it("treats a Deployment without spec.replicas as one replica, as the API defaults it", () => {
    const defaulted = variant((d) => {
      d.spec = {};
      Object.assign(d.status, { replicas: 1, updatedReplicas: 1, availableReplicas: 1 });
    });
    expect(rolloutVerdict(defaulted).kind).toBe("complete");
  });
});
