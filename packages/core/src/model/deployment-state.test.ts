import { describe, expect, it } from "vitest";
import {
  allowedTransitions,
  assertTransition,
  canTransition,
  DeploymentState,
  InvalidTransitionError,
} from "./deployment-state.ts";

describe("deployment lifecycle", () => {
  it("ends in succeeded, failed, superseded, rolled_back and replaced", () => {
    const terminal = Object.values(DeploymentState).filter(
      (state) => allowedTransitions[state].length === 0,
    );

    expect(terminal.sort()).toEqual([
      "failed",
      "replaced",
      "rolled_back",
      "succeeded",
      "superseded",
    ]);
  });

  it("lets a queued or building deployment be superseded but never a succeeded one", () => {
    expect(canTransition("queued", "superseded")).toBe(true);
    expect(canTransition("building", "superseded")).toBe(true);
    expect(canTransition("succeeded", "superseded")).toBe(false);
  });

  it("rolls back only through the durable rolling_back decision", () => {
    expect(canTransition("deploying", "rolled_back")).toBe(false);
    expect(canTransition("deploying", "rolling_back")).toBe(true);
    expect(canTransition("rolling_back", "rolled_back")).toBe(true);
    expect(canTransition("rolling_back", "deploying")).toBe(false);
  });

  it("never goes back to queued", () => {
    for (const state of Object.values(DeploymentState)) {
      expect(canTransition(state, "queued")).toBe(false);
    }
  });

  it("rejects a move that any of the from states forbids", () => {
    expect(() => assertTransition(["queued", "succeeded"], "superseded")).toThrow(
      InvalidTransitionError,
    );
    expect(() => assertTransition([], "failed")).toThrow(InvalidTransitionError);
  });
});
