import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { z } from "zod";
import { hashPassword } from "../auth/password-hash.ts";
import { createLogger } from "../log/logger.ts";
import { createPostgresStore } from "../store/postgres-store.ts";

const usage = `Creates an account (or sets a new password) with an scrypt hash.

  npm run --workspace grpc-app user:add -- --user alice          # password on stdin
  CHAT_PASSWORD=… npm run --workspace grpc-app user:add -- --user alice

With DATABASE_URL set it writes the account to PostgreSQL (running migrations first).
Without it, it prints a SEED_USERS entry (alice:scrypt$…) for the embedded store.
The password never appears in arguments, output or logs.`;

const Args = z.object({
  user: z.string().regex(/^[\w.@-]{1,64}$/, "--user must be 1-64 of A-Z a-z 0-9 _ . @ -"),
});
const Password = z.string().min(8, "the password must have at least 8 characters").max(1024);

async function readPassword(): Promise<string> {
  if (process.env.CHAT_PASSWORD) return process.env.CHAT_PASSWORD;
  if (process.stdin.isTTY) process.stderr.write("password: ");
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  return "";
}

const { values } = parseArgs({ options: { user: { type: "string" }, help: { type: "boolean" } } });
if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const args = Args.safeParse(values);
const password = Password.safeParse(await readPassword());
if (!args.success || !password.success) {
  const issues = [...(args.error?.issues ?? []), ...(password.error?.issues ?? [])];
  process.stderr.write(`${issues.map((issue) => issue.message).join("\n")}\n\n${usage}\n`);
  process.exit(2);
}
const account = { username: args.data.user, passwordHash: await hashPassword(password.data) };
const databaseUrl = process.env.DATABASE_URL;
if (databaseUrl) {
  const logger = createLogger({ level: "warn" });
  const store = await createPostgresStore({
    connectionString: databaseUrl,
    logger,
    poolSize: 1,
    replayPoolSize: 1,
  });
  await store.putAccount(account);
  await store.close();
  process.stderr.write(`account ${account.username} saved\n`);
} else {
  process.stdout.write(`${account.username}:${account.passwordHash}\n`);
}
