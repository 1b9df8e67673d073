import { describe, expect, it } from "vitest";
import { DeployAnnotation, guardSequence, readDeployMark } from "./deploy-annotations.ts";

describe("readDeployMark", () => {
  it("reads what the deployer wrote", () => {
    expect(
      readDeployMark({
        [DeployAnnotation.sequence]: "12",
        [DeployAnnotation.commit]: "abc",
        [DeployAnnotation.previousImage]: "repo@sha256:1",
      }),
    ).toEqual({ sequence: 12, commit: "abc", previousImage: "repo@sha256:1" });
  });

  it.each(["", "x", "-3", "1.5"])(
    "treats a sequence of %j as no mark, so the guard is 0",
    (value) => {
      const annotations = { [DeployAnnotation.sequence]: value };

      expect(readDeployMark(annotations)).toBeUndefined();
      expect(guardSequence(annotations)).toBe(0);
    },
  );
});
