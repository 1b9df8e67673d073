import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatServer } from "../../../grpc-app/src/server/chat-server.ts";
import type { ChatGateway } from "../../../grpc-app/src/web/chat-gateway.ts";
import { grpcChatGateway } from "../../../grpc-app/src/web/grpc-chat-gateway.ts";
import { startWebProcess, type WebProcess } from "../../../grpc-app/src/web/web-process.ts";
import { chromiumAvailable, launchChromium, saveScreenshot } from "../../harness/browser.ts";
import {
  say,
  shownMessages,
  signIn,
  visit,
  waitForMessage,
  waitUntilLive,
} from "./browser-session.ts";
import { type Account, startChat } from "./chat-fixture.ts";

// The web client runs as its own process here, as in the cluster, so that it can really
// crash (SIGKILL) and come back on the same port while a browser is connected.
describe.runIf(chromiumAvailable())("web client restart under a connected browser", () => {
  let chat: ChatServer;
  let browser: Browser;
  let bobApi: ChatGateway;
  let alice: Account;
  let bob: Account;
  const webLog: string[] = [];
  let web: WebProcess | undefined;
  const restartTimes: number[] = [];

  const startWeb = (address: string) =>
    startWebProcess({
      // No shared WEB_SESSION_SECRET: the restarted process has a new CSRF key, as another
      // replica with a different key would, and the page must cope.
      env: { WEB_ADDRESS: address, GRPC_TARGET: chat.address },
      onLog: (line) => webLog.push(line),
    });

  beforeAll(async () => {
    const started = await startChat(["alice", "bob"]);
    chat = started.chat;
    [alice, bob] = started.accounts as [Account, Account];
    bobApi = grpcChatGateway(chat.address);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await web?.stop("SIGKILL");
    await browser?.close();
    bobApi?.close();
    await chat?.shutdown(1_000);
  });

  it("loses no message sent while the web server was down, once the browser reconnects", async () => {
    // Prepare: Alice is live in #general; Bob writes over gRPC
    web = await startWeb("127.0.0.1:0");
    const url = new URL(web.url);
    const { page } = await visit(browser, `${web.url}#general`);
    await signIn(page, alice);
    await waitUntilLive(page);
    const login = await bobApi.login(bob.username, bob.password, "127.0.0.1");
    if (login.kind !== "signed-in") throw new Error("bob could not sign in");
    const bobSays = (text: string) => bobApi.sendNote(login.token, "general", text);
    await bobSays("before the crash");
    await waitForMessage(page, "before the crash");

    // Act: the web server dies mid-session; notes keep coming; it restarts on the same port
    await web.stop("SIGKILL");
    await page.locator('#status[data-state="connecting"]').waitFor();
    for (const n of [1, 2, 3]) await bobSays(`while the web server was down (${n})`);
    web = await startWeb(url.host);
    const restarted = performance.now();
    await waitUntilLive(page, 30_000);
    restartTimes.push(performance.now() - restarted);
    await waitForMessage(page, "while the web server was down (3)");
    await bobSays("after the restart");
    await waitForMessage(page, "after the restart");
    await say(page, "Back, and nothing is missing.");
    await waitForMessage(page, "Back, and nothing is missing.");

    // Assess: every note once, in order
    const shown = await shownMessages(page);
    expect(shown.map((note) => note.text)).toEqual([
      "before the crash",
      "while the web server was down (1)",
      "while the web server was down (2)",
      "while the web server was down (3)",
      "after the restart",
      "Back, and nothing is missing.",
    ]);
    const ids = shown.map((note) => note.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    // The page's send went through although its CSRF token was signed with the dead process's
    // key: the new process refused it once and the page fetched a fresh one.
    expect(sendStatuses(webLog)).toEqual([403, 201]);
    await saveScreenshot(page, "after-web-restart");
    console.info(`browser live again ${Math.round(restartTimes[0] ?? 0)} ms after the restart`);
  });
});

/** HTTP statuses the web process logged for the page's sends, in order. */
function sendStatuses(log: string[]): number[] {
  return log
    .map((line) => JSON.parse(line) as { event?: string; path?: string; status?: number })
    .filter((entry) => entry.event === "web.request" && entry.path === "/api/rooms/general/notes")
    .map((entry) => entry.status ?? 0);
}
