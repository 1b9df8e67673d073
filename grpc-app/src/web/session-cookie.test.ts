import { describe, expect, it } from "vitest";
import { clearedSessionCookie, sessionCookie, sessionFromCookieHeader } from "./session-cookie.ts";

describe("session cookie", () => {
  const now = new Date("2026-11-25T10:00:00Z");

  it("is HttpOnly and SameSite=Strict and lives as long as the token", () => {
    // Act
    const cookie = sessionCookie("tok.en.sig", new Date("2026-11-25T11:00:00Z"), now, {
      secure: false,
    });
    // Assess
    expect(cookie).toBe(
      "slipway_session=tok.en.sig; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict",
    );
  });

  it("is Secure when configured for HTTPS", () => {
    const cookie = sessionCookie("t", new Date("2026-11-25T11:00:00Z"), now, { secure: true });
    expect(cookie.endsWith("; Secure")).toBe(true);
  });

  it("expires at once when cleared", () => {
    expect(clearedSessionCookie({ secure: false })).toContain(
      "slipway_session=; Path=/; Max-Age=0",
    );
  });

  it("is found among other cookies", () => {
    expect(sessionFromCookieHeader("theme=dark; slipway_session=abc.def ; x=1")).toBe("abc.def");
  });

  it("is absent when the header lacks it or holds it empty", () => {
    expect(sessionFromCookieHeader(undefined)).toBeUndefined();
    expect(sessionFromCookieHeader("theme=dark")).toBeUndefined();
    expect(sessionFromCookieHeader("slipway_session=")).toBeUndefined();
    expect(sessionFromCookieHeader("xslipway_session=abc")).toBeUndefined();
  });
});
