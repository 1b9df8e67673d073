import { describe, expect, it } from "vitest";
import {
  clearedSessionCookie,
  clearedSessionCookies,
  refreshCookie,
  refreshFromCookieHeader,
  sessionCookie,
  sessionFromCookieHeader,
} from "./session-cookie.ts";

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

  it("keeps the refresh token in its own cookie, sent only to /api/", () => {
    const cookie = refreshCookie("sid.secret", new Date("2026-12-02T10:00:00Z"), now, {
      secure: true,
    });

    expect(cookie).toBe(
      "slipway_refresh=sid.secret; Path=/api/; Max-Age=604800; HttpOnly; SameSite=Strict; Secure",
    );
    expect(refreshFromCookieHeader("slipway_session=a.b.c; slipway_refresh=sid.secret")).toBe(
      "sid.secret",
    );
  });

  it("clears both cookies on logout, each on its own path", () => {
    const [session, refresh] = clearedSessionCookies({ secure: false });

    expect(session).toContain("slipway_session=; Path=/; Max-Age=0");
    expect(refresh).toContain("slipway_refresh=; Path=/api/; Max-Age=0");
  });
});
