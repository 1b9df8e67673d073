import type { Browser, BrowserContext, Page } from "playwright-core";
import type { Account } from "./chat-fixture.ts";

/** One person at the page: their own browser context (cookie jar) and tab. */
export type Visitor = { context: BrowserContext; page: Page };

/** Opens the page in a fresh context, as a new visitor with no cookies. */
export async function visit(browser: Browser, url: string): Promise<Visitor> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const page = await context.newPage();
  // A page error is a bug in app.js; fail loudly rather than time out later.
  page.on("pageerror", (error) => {
    throw error;
  });
  await page.goto(url);
  return { context, page };
}

/** Signs in through the form, using only the keyboard, as an assistive-tech user might. */
export async function signIn(page: Page, account: Pick<Account, "username" | "password">) {
  // The form appears once the page has found no session; keys typed before would be lost.
  await page.getByLabel("Username").waitFor({ state: "visible" });
  await page.getByLabel("Username").focus();
  await page.keyboard.type(account.username);
  await page.keyboard.press("Tab");
  await page.keyboard.type(account.password);
  await page.keyboard.press("Enter");
}

/** Waits until the page shows the chat with a live connection. */
export async function waitUntilLive(page: Page, timeout = 15_000) {
  await page.locator('#status[data-state="live"]').waitFor({ timeout });
}

/** Types a message into the send box and presses Enter. */
export async function say(page: Page, text: string) {
  const box = page.getByLabel("Message", { exact: true });
  await box.fill(text);
  await box.press("Enter");
}

/** Waits for a message bubble with exactly `text`. */
export async function waitForMessage(page: Page, text: string, timeout = 15_000) {
  await page.locator(".note .bubble", { hasText: text }).first().waitFor({ timeout });
}

/** The messages shown, oldest first, as id, author and text. */
export function shownMessages(page: Page) {
  return page.locator("#messages .note").evaluateAll((items) =>
    items.map((item) => ({
      id: Number(item.getAttribute("data-id")),
      author: item.getAttribute("data-author"),
      text: item.querySelector(".bubble")?.textContent ?? "",
    })),
  );
}
