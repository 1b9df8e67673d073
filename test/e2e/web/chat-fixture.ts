import { randomBytes } from "node:crypto";
import { hashPassword } from "../../../grpc-app/src/auth/password-hash.ts";
import { loadConfig } from "../../../grpc-app/src/config.ts";
import { createLogger, type LogEntry } from "../../../grpc-app/src/log/logger.ts";
import { type ChatServer, startChatServer } from "../../../grpc-app/src/server/chat-server.ts";
import type { ChatGateway } from "../../../grpc-app/src/web/chat-gateway.ts";
import { grpcChatGateway } from "../../../grpc-app/src/web/grpc-chat-gateway.ts";
import { loadWebConfig } from "../../../grpc-app/src/web/web-config.ts";
import { startWebServer, type WebServer } from "../../../grpc-app/src/web/web-server.ts";

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
