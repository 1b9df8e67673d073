import { describe, expect, it } from "vitest";
import { newRefreshToken, newSessionId, RefreshToken } from "./refresh-tokens.ts";

describe("refresh tokens", () => {
  it("name their session and are stored only as a hash", () => {
    const sessionId = newSessionId();
    const { token, hash } = newRefreshToken(sessionId);

    const parsed = RefreshToken.parse(token);

    expect(parsed).toEqual({ sessionId, hash });
    expect(hash).not.toContain(token.split(".")[1]);
  });

  it("differ each time, even for one session", () => {
    const sessionId = newSessionId();

    expect(newRefreshToken(sessionId).token).not.toBe(newRefreshToken(sessionId).token);
  });

  it("refuse anything else without throwing", () => {
    for (const bad of ["", "x.y", `${newSessionId()}.`, `${"a".repeat(22)}.${"b".repeat(42)}!`]) {
      expect(RefreshToken.safeParse(bad).success, bad).toBe(false);
    }
  });
});
