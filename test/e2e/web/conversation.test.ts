import { describe, expect, it } from "vitest";
import type { ChatGateway } from "../../../grpc-app/src/web/chat-gateway.ts";
import { chromiumAvailable, saveScreenshot } from "../../harness/browser.ts";
import { say, shownMessages, signIn, waitForMessage, waitUntilLive } from "./browser-session.ts";
import { type Account, useBrowserChat } from "./chat-fixture.ts";

// A realistic conversation, kept as `.artifacts/screenshots/conversation.png`; the README's
// picture (docs/web-client.png) is a copy of it.
describe.runIf(chromiumAvailable())("a conversation in the browser", () => {
  const stack = useBrowserChat(["maya", "jonas", "priya"]);

  it("groups consecutive messages by author and sets the reader's own apart", async () => {
    // Prepare: Maya reads #deploys in the browser; Jonas and Priya write over gRPC
    const [maya, jonas, priya] = [
      stack.account("maya"),
      stack.account("jonas"),
      stack.account("priya"),
    ];
    const context = await stack.browser.newContext({
      viewport: { width: 1200, height: 760 },
      deviceScaleFactor: 2,
    });
    const page = await context.newPage();
    await page.goto(`${stack.web.url}#deploys`);
    await signIn(page, maya);
    await waitUntilLive(page);
    const write = await writer(stack.gateway, [jonas, priya]);

    // Act
    await write("jonas", "Pushed the reconnect fix to main. Build 1432 is running.");
    await write("jonas", "It also bounds the subscriber buffer, as promised.");
    await write("priya", "Deployer picked it up: rolling out sha256:4f1c…e9 to prod.");
    await waitForMessage(page, "rolling out sha256");
    await say(page, "Watching the rollout. 2 of 3 replicas updated, no errors so far.");
    await waitForMessage(page, "2 of 3 replicas updated");
    await write("priya", "Rollout complete. Old pods drained, every stream resumed.");
    await write("jonas", "No message lost during the deploy. That's what I like to see.");
    await waitForMessage(page, "That's what I like to see.");
    await say(page, "Great work, both of you. Adding it to the release notes.");
    await waitForMessage(page, "Adding it to the release notes.");

    // Assess
    const shown = await shownMessages(page);
    expect(shown.map((note) => note.author)).toEqual([
      "jonas",
      "jonas",
      "priya",
      "maya",
      "priya",
      "jonas",
      "maya",
    ]);
    const classes = await page
      .locator("#messages .note")
      .evaluateAll((items) => items.map((item) => item.className));
    expect(classes).toEqual([
      "note",
      "note continued",
      "note",
      "note mine",
      "note",
      "note",
      "note mine",
    ]);
    await page.getByLabel("Message", { exact: true }).blur();
    await saveScreenshot(page, "conversation");
    await context.close();
  });
});

/** Sends notes to #deploys as the given accounts, signed in over gRPC. */
async function writer(gateway: ChatGateway, people: Account[]) {
  const tokens = new Map<string, string>();
  for (const person of people) {
    const login = await gateway.login(person.username, person.password, "127.0.0.1");
    if (login.kind !== "signed-in") throw new Error(`${person.username} could not sign in`);
    tokens.set(person.username, login.token);
  }
  return async (username: string, text: string) => {
    const outcome = await gateway.sendNote(tokens.get(username) ?? "", "deploys", text);
    if (outcome.kind !== "sent") throw new Error(`${username} could not send: ${outcome.kind}`);
  };
}
