import type { Config } from "../config.ts";
import type { Logger } from "../log/logger.ts";
import type { ChatStore } from "./chat-store.ts";
import { createMemoryStore } from "./memory-store.ts";
import { createPostgresStore } from "./postgres-store.ts";

/** PostgreSQL when DATABASE_URL is set, else the embedded in-memory store; seeds SEED_USERS. */
export async function openStore(config: Config, logger: Logger): Promise<ChatStore> {
  const store =
    config.DATABASE_URL === undefined
      ? createMemoryStore()
      : await createPostgresStore({ connectionString: config.DATABASE_URL, logger });
  for (const account of config.SEED_USERS) await store.putAccount(account);
  if (config.SEED_USERS.length > 0) {
    logger.info("accounts.seeded", { usernames: config.SEED_USERS.map((a) => a.username) });
  }
  return store;
}
