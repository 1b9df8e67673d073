import { describe, expect, it } from "vitest";
import { matchesAnyBranch } from "./branch-glob.ts";

describe("matchesAnyBranch", () => {
  it.each([
    ["main", ["main"], true],
    ["main", ["mai"], false],
    ["release/v1", ["release/*"], true],
    ["release/v1/hotfix", ["release/*"], false],
    ["release/v1/hotfix", ["release/**"], true],
    ["feature-a", ["feature-?"], true],
    ["feature-ab", ["feature-?"], false],
    ["release/v1x2", ["release/v1.2"], false],
    ["main", ["develop", "main"], true],
  ])("matches %s against %j: %s", (branch, patterns, expected) => {
    expect(matchesAnyBranch(branch, patterns)).toBe(expected);
  });

  it("treats regex metacharacters in patterns as literal text", () => {
    expect(matchesAnyBranch("a+b", ["a+b"])).toBe(true);
    expect(matchesAnyBranch("aab", ["a+b"])).toBe(false);
    expect(matchesAnyBranch("x(y)", ["x(y)"])).toBe(true);
  });
});
