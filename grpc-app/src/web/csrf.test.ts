import { describe, expect, it } from "vitest";
import { csrfKey, csrfToken, csrfTokenMatches } from "./csrf.ts";

describe("csrf tokens", () => {
  const key = csrfKey("a-shared-secret-of-at-least-32-characters");

  it("accepts the token made for the same session by another replica with the same key", () => {
    // Prepare
    const otherReplica = csrfKey("a-shared-secret-of-at-least-32-characters");
    // Act
    const token = csrfToken(otherReplica, "session-a");
    // Assess
    expect(csrfTokenMatches(key, "session-a", token)).toBe(true);
  });

  it("rejects a token made for another session", () => {
    const token = csrfToken(key, "session-b");
    expect(csrfTokenMatches(key, "session-a", token)).toBe(false);
  });

  it("rejects a token made with another key", () => {
    const token = csrfToken(csrfKey(undefined), "session-a");
    expect(csrfTokenMatches(key, "session-a", token)).toBe(false);
  });

  it("rejects an empty or truncated token", () => {
    const token = csrfToken(key, "session-a");
    expect(csrfTokenMatches(key, "session-a", "")).toBe(false);
    expect(csrfTokenMatches(key, "session-a", token.slice(0, -1))).toBe(false);
  });
});
