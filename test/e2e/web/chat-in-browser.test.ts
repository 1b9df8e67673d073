import { describe, expect, it } from "vitest";
import { chromiumAvailable, saveScreenshot } from "../../harness/browser.ts";
import {
  say,
  shownMessages,
  signIn,
  visit,
  waitForMessage,
  waitUntilLive,
} from "./browser-session.ts";
import { useBrowserChat } from "./chat-fixture.ts";

describe.runIf(chromiumAvailable())("chat in a real browser", () => {
  const stack = useBrowserChat(["alice", "bob"]);

  it("shows a message sent by one user to another user in the same room", async () => {
    // Prepare: two people, each in their own browser context, both in #general
    const a = await visit(stack.browser, `${stack.web.url}#general`);
    const b = await visit(stack.browser, `${stack.web.url}#general`);
    await signIn(a.page, stack.account("alice"));
    await signIn(b.page, stack.account("bob"));
    await Promise.all([waitUntilLive(a.page), waitUntilLive(b.page)]);
    // Act
    await say(a.page, "Hi Bob, the deploy is rolling out now.");
    // Assess: it reaches Bob, attributed to Alice, and Alice sees it as her own
    await waitForMessage(b.page, "Hi Bob, the deploy is rolling out now.");
    const atBob = await shownMessages(b.page);
    expect(atBob.map(({ author, text }) => ({ author, text }))).toEqual([
      { author: "alice", text: "Hi Bob, the deploy is rolling out now." },
    ]);
    await waitForMessage(a.page, "Hi Bob, the deploy is rolling out now.");
    expect(await a.page.locator(".note.mine").count()).toBe(1);
    // Bob answers; Alice sees it
    await say(b.page, "Thanks! Watching the rollout.");
    await waitForMessage(a.page, "Thanks! Watching the rollout.");
    await saveScreenshot(a.page, "two-users-alice");
    await saveScreenshot(b.page, "two-users-bob");
    await a.context.close();
    await b.context.close();
  });

  it("survives odd links: a hash that is no valid percent-encoding opens the default room", async () => {
    for (const hash of ["#%", "#%E0%A4%A", "#%zz", "#%F0%9F"]) {
      const context = await stack.browser.newContext();
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(String(error)));
      await page.goto(`${stack.web.url}${hash}`);

      await signIn(page, stack.account("alice"));
      await waitUntilLive(page);
      await say(page, `still chatting after ${hash}`);
      await waitForMessage(page, `still chatting after ${hash}`);

      expect(errors, hash).toEqual([]);
      await context.close();
    }
  });

  it("keeps each room's messages in that room", async () => {
    // Prepare
    const a = await visit(stack.browser, `${stack.web.url}#general`);
    const b = await visit(stack.browser, `${stack.web.url}#general`);
    await signIn(a.page, stack.account("alice"));
    await signIn(b.page, stack.account("bob"));
    await waitUntilLive(b.page);
    // Act: Alice opens #deploys with the room picker and writes there
    await a.page.getByRole("button", { name: "deploys" }).click();
    await waitUntilLive(a.page);
    await say(a.page, "only for #deploys");
    await waitForMessage(a.page, "only for #deploys");
    // Assess: Bob in #general does not see it until he opens #deploys
    expect(await b.page.locator(".bubble", { hasText: "only for #deploys" }).count()).toBe(0);
    await b.page.getByRole("button", { name: "deploys" }).click();
    await waitForMessage(b.page, "only for #deploys");
    expect(await b.page.getByRole("heading", { level: 1 }).textContent()).toBe("#deploys");
    await a.context.close();
    await b.context.close();
  });

  it("shows a clear error for a wrong password and stays signed out", async () => {
    // Prepare
    const { context, page } = await visit(stack.browser, stack.web.url);
    // Act
    await signIn(page, { username: stack.account("alice").username, password: "not-her-password" });
    // Assess
    const alert = page.getByRole("alert").filter({ hasText: "Wrong username or password." });
    await alert.waitFor();
    expect(await page.locator("#chat-view").isHidden()).toBe(true);
    expect(await context.cookies()).toEqual([]);
    await saveScreenshot(page, "wrong-password");
    await context.close();
  });

  it("keeps the session token away from page scripts", async () => {
    // Prepare
    const { context, page } = await visit(stack.browser, stack.web.url);
    await signIn(page, stack.account("alice"));
    await waitUntilLive(page);
    // Act
    const visibleToScripts = await page.evaluate(() => document.cookie);
    const cookies = await context.cookies();
    // Assess
    expect(cookies.map(({ name, httpOnly, sameSite }) => ({ name, httpOnly, sameSite }))).toEqual(
      expect.arrayContaining([
        { name: "slipway_session", httpOnly: true, sameSite: "Strict" },
        { name: "slipway_refresh", httpOnly: true, sameSite: "Strict" },
      ]),
    );
    expect(cookies).toHaveLength(2);
    expect(visibleToScripts).toBe("");
    await context.close();
  });

  it("ends the session on logout, also after a reload", async () => {
    // Prepare
    const { context, page } = await visit(stack.browser, stack.web.url);
    await signIn(page, stack.account("alice"));
    await waitUntilLive(page);
    // Act
    await page.getByRole("button", { name: "Log out" }).click();
    // Assess
    await page.getByRole("heading", { name: "Sign in to chat" }).waitFor();
    expect(await context.cookies()).toEqual([]);
    await page.reload();
    await page.getByRole("heading", { name: "Sign in to chat" }).waitFor();
    expect((await page.request.get(new URL("/api/session", stack.web.url).href)).status()).toBe(
      401,
    );
    await context.close();
  });
});
