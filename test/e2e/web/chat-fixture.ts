import { randomBytes } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { hashPassword } from "../../../grpc-app/src/auth/password-hash.ts";
import { loadConfig } from "../../../grpc-app/src/config.ts";
import { createLogger, type LogEntry } from "../../../grpc-app/src/log/logger.ts";
import { type ChatServer, startChatServer } from "../../../grpc-app/src/server/chat-server.ts";
import type { ChatGateway } from "../../../grpc-app/src/web/chat-gateway.ts";
import { grpcChatGateway } from "../../../grpc-app/src/web/grpc-chat-gateway.ts";
import { loadWebConfig } from "../../../grpc-app/src/web/web-config.ts";
import { startWebServer, type WebServer } from "../../../grpc-app/src/web/web-server.ts";
import { launchChromium } from "../../harness/browser.ts";

export type Account = { username: string; password: string };

/** A chat server on the embedded store, bound to a free loopback port, with accounts. */
export async function startChat(
  usernames: string[],
  env: Record<string, string> = {},
): Promise<{ chat: ChatServer; accounts: Account[]; tokenSecret: string }> {
  const tokenSecret = randomBytes(32).toString("base64url");
  const config = loadConfig({
    GRPC_ADDRESS: "127.0.0.1:0",
    TOKEN_SECRET: tokenSecret,
    LOG_LEVEL: "warn",
    ...env,
  });
  const chat = await startChatServer(config, { logger: createLogger({ level: "warn" }) });
  const accounts = usernames.map((username) => ({
    username,
    password: randomBytes(12).toString("base64url"),
  }));
  for (const { username, password } of accounts) {
    await chat.store.putAccount({ username, passwordHash: await hashPassword(password) });
  }
  return { chat, accounts, tokenSecret };
}

/** The web client in this process, in front of `grpcTarget`, with its log entries kept. */
export async function startWeb(
  grpcTarget: string,
  env: Record<string, string> = {},
): Promise<{ web: WebServer; gateway: ChatGateway; logs: LogEntry[] }> {
  const logs: LogEntry[] = [];
  const config = loadWebConfig({ WEB_ADDRESS: "127.0.0.1:0", GRPC_TARGET: grpcTarget, ...env });
  const gateway = grpcChatGateway(grpcTarget);
  const logger = createLogger({ level: "debug", sink: (entry) => logs.push(entry) });
  const web = await startWebServer({ config, gateway, logger });
  return { web, gateway, logs };
}

/** The chat server, the web client in front of it and a Chromium, as one browser suite uses them. */
export type BrowserChat = {
  chat: ChatServer;
  web: WebServer;
  gateway: ChatGateway;
  browser: Browser;
  /** The account started for `username`. */
  account(username: string): Account;
};

/**
 * Starts a chat server with `usernames`, the web client and Chromium before the suite and
 * stops them after it; the returned object is filled in once `beforeAll` has run.
 */
export function useBrowserChat(usernames: string[], chatEnv: Record<string, string> = {}) {
  let accounts: Account[] = [];
  const stack = {
    account: (username: string) => {
      const found = accounts.find((account) => account.username === username);
      if (found === undefined) throw new Error(`no account ${username} in this suite`);
      return found;
    },
  } as BrowserChat;
  beforeAll(async () => {
    const started = await startChat(usernames, chatEnv);
    stack.chat = started.chat;
    accounts = started.accounts;
    ({ web: stack.web, gateway: stack.gateway } = await startWeb(started.chat.address));
    stack.browser = await launchChromium();
  });
  afterAll(async () => {
    await stack.browser?.close();
    await stack.web?.close();
    stack.gateway?.close();
    await stack.chat?.shutdown(1_000);
  });
  return stack;
}
