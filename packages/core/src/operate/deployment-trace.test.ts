import { describe, expect, it } from "vitest";
import type { DeploymentRecord } from "../model/deployment-record.ts";
import { formatDuration, matchTraceQuery, traceDeployment } from "./deployment-trace.ts";

const record: DeploymentRecord = {
  stage: "dev",
  service: "chat",
  sequence: 4,
  deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
  state: "succeeded",
  repository: { owner: "acme", name: "chat" },
  ref: "refs/heads/main",
  commit: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  commitTitle: "Fix",
  project: "slipway-dev",
  buildId: "slipway-dev:0b0f",
  logUrl: "https://builds.example.test/4",
  githubReport: "reported",
  githubDeploymentId: 9,
  imageDigest: "registry.example.test/chat@sha256:4f4f",
  receivedAt: "2026-11-26T10:00:00.000Z",
  patchedAt: "2026-11-26T10:03:00.400Z",
  createdAt: "2026-11-26T10:00:00.900Z",
  updatedAt: "2026-11-26T10:03:30.000Z",
  transitions: [
    { state: "queued", at: "2026-11-26T10:00:00.900Z" },
    { state: "deploying", at: "2026-11-26T10:03:00.000Z" },
    { state: "succeeded", at: "2026-11-26T10:03:30.000Z" },
  ],
};

describe("traceDeployment", () => {
  it("shows the decision to roll back before the rollback's verdict", () => {
    const rolledBack: DeploymentRecord = {
      ...record,
      state: "rolled_back",
      reason: "chat-server exceeded its progress deadline",
      transitions: [
        { state: "queued", at: "2026-11-26T10:00:00.900Z" },
        { state: "deploying", at: "2026-11-26T10:03:00.000Z" },
        { state: "rolling_back", at: "2026-11-26T10:13:00.000Z" },
        { state: "rolled_back", at: "2026-11-26T10:14:00.000Z" },
      ],
    };

    const steps = traceDeployment(rolledBack).steps.map((s) => s.step);

    expect(steps.slice(-2)).toEqual(["rolling back", "rolled back"]);
  });

  it("lists every step of a push in order with the time since the previous one and the links", () => {
    const trace = traceDeployment(record);

    expect(trace.steps.map((s) => [s.step, s.sincePreviousMs])).toEqual([
      ["push received", undefined],
      ["build started", 900],
      ["build finished", 179_100],
      ["patch sent", 400],
      ["rollout complete", 29_600],
    ]);
    expect(trace.links).toEqual({
      buildLog: "https://builds.example.test/4",
      githubDeployment: "https://github.com/acme/chat/deployments/dev%2Fchat",
    });
  });

  it("finds a push by delivery id or by an abbreviated commit", () => {
    expect(matchTraceQuery([record], record.deliveryId)).toEqual([record]);
    expect(matchTraceQuery([record], "6113728")).toEqual([record]);
    expect(matchTraceQuery([record], "611")).toEqual([]);
  });

  it("formats durations for people", () => {
    expect([formatDuration(850), formatDuration(4200), formatDuration(185_000)]).toEqual([
      "850 ms",
      "4.2 s",
      "3 min 5 s",
    ]);
  });
});
