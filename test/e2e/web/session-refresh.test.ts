import { describe, expect, it } from "vitest";
import { chromiumAvailable } from "../../harness/browser.ts";
import { say, signIn, visit, waitForMessage, waitUntilLive } from "./browser-session.ts";
import { useBrowserChat } from "./chat-fixture.ts";

const accessSeconds = 3;

// Access tokens of 3 s instead of 15 min, so the page's refresh happens within the test.
describe.runIf(chromiumAvailable())("the page keeps its session", () => {
  const stack = useBrowserChat(["alice"], {
    TOKEN_TTL_SECONDS: String(accessSeconds),
    REVOCATION_CHECK_MS: "300",
  });

  it("refreshes before the access token expires and keeps sending after it would have", async () => {
    // Prepare
    const { context, page } = await visit(stack.browser, `${stack.web.url}#general`);
    const refreshes: number[] = [];
    page.on("response", (response) => {
      if (new URL(response.url()).pathname === "/api/session/refresh") {
        refreshes.push(response.status());
      }
    });
    await signIn(page, stack.account("alice"));
    await waitUntilLive(page);
    // A fresh visitor's page tries the refresh cookie once before showing the form (401).
    refreshes.length = 0;
    const signedInAt = Date.now();
    const first = (await context.cookies()).find((c) => c.name === "slipway_session")?.value;
    // Act: wait out the first access token's life
    await page.waitForResponse(
      (r) => new URL(r.url()).pathname === "/api/session/refresh" && r.status() === 200,
      {
        timeout: accessSeconds * 1000,
      },
    );
    const refreshedAfterMs = Date.now() - signedInAt;
    await new Promise((resolve) =>
      setTimeout(resolve, signedInAt + accessSeconds * 1000 + 500 - Date.now()),
    );
    await say(page, "still signed in");
    // Assess
    await waitForMessage(page, "still signed in");
    console.info(
      `web session: ${accessSeconds} s access token refreshed by the page after ${refreshedAfterMs} ms; ` +
        `${refreshes.length} refresh(es) by ${Date.now() - signedInAt} ms`,
    );
    expect(refreshes[0]).toBe(200);
    expect(refreshedAfterMs).toBeLessThan(accessSeconds * 1000);
    const now = (await context.cookies()).find((c) => c.name === "slipway_session")?.value;
    expect(now).not.toBe(first);
    expect(await page.locator("#login-view").isHidden()).toBe(true);
    await context.close();
  });

  it("signs a returning visitor back in with the refresh cookie once the access cookie is gone", async () => {
    // Prepare: signed in, then the 3 s access cookie ends (dropped here rather than waited for)
    const { context, page } = await visit(stack.browser, `${stack.web.url}#general`);
    await signIn(page, stack.account("alice"));
    await waitUntilLive(page);
    await page.close();
    await context.clearCookies({ name: "slipway_session" });
    // Act
    const back = await context.newPage();
    await back.goto(`${stack.web.url}#general`);
    // Assess
    await waitUntilLive(back);
    expect(await back.locator("#whoami").textContent()).toBe("alice");
    await context.close();
  });

  it("signs out every tab of the browser on logout: the other tab's live stream is revoked", async () => {
    // Prepare: two tabs of one browser share the cookies and so the session
    const { context, page: first } = await visit(stack.browser, `${stack.web.url}#general`);
    await signIn(first, stack.account("alice"));
    await waitUntilLive(first);
    const second = await context.newPage();
    await second.goto(`${stack.web.url}#general`);
    await waitUntilLive(second);
    // Act
    await first.getByRole("button", { name: "Log out" }).click();
    // Assess: the chat server ends the second tab's stream; its page finds no session left
    await second.getByRole("heading", { name: "Sign in to chat" }).waitFor({ timeout: 5_000 });
    expect(await context.cookies()).toEqual([]);
    await context.close();
  });
});
