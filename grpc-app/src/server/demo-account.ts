import { randomBytes } from "node:crypto";
import { hashPassword } from "../auth/password-hash.ts";
import type { ChatStore } from "../store/chat-store.ts";

export type DemoAccount = { username: string; password: string };

/**
 * Creates the `demo` account with a fresh random password, for `npm start` on the embedded
 * store: there is no hard-coded credential, and the password lives only as long as the process.
 */
export async function addDemoAccount(store: ChatStore): Promise<DemoAccount> {
  const account = { username: "demo", password: randomBytes(9).toString("base64url") };
  await store.putAccount({
    username: account.username,
    passwordHash: await hashPassword(account.password),
  });
  return account;
}

/** The lines `npm start` prints so a newcomer can connect (to stderr; stdout is JSON logs). */
export function howToConnect(address: string, demo: DemoAccount | undefined): string {
  const user = demo?.username ?? "<user>";
  const login = demo === undefined ? "<password>" : demo.password;
  return [
    "",
    `chat server on ${address}`,
    demo === undefined
      ? "accounts: from SEED_USERS or `npm run --workspace grpc-app user:add -- --user <name>`"
      : `demo account: ${demo.username} / ${demo.password} (new every start)`,
    "",
    "terminal client:",
    `  CHAT_PASSWORD=${login} npm run --workspace grpc-app chat -- --address ${address} --user ${user} --room general`,
    "grpcurl (reflection is on):",
    `  grpcurl -plaintext ${address} list`,
    `  grpcurl -plaintext -d '{"username":"${user}","password":"${login}"}' ${address} chat.v1.AuthService/Login`,
    `  grpcurl -plaintext -H "authorization: Bearer <token>" -d '{"room":"general"}' ${address} chat.v1.ChatService/ChatStream`,
    `  grpcurl -plaintext ${address} grpc.health.v1.Health/Check`,
    "",
  ].join("\n");
}
