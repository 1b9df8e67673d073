import { ConfigError, loadConfig } from "./config.ts";
import { createLogger } from "./log/logger.ts";
import { startChatServer } from "./server/chat-server.ts";
import { addDemoAccount, howToConnect } from "./server/demo-account.ts";
import { onTerminate } from "./server/on-terminate.ts";

// The chat server alone, as its Deployment runs it (`node src/chat-main.ts`); `npm start`
// (main.ts) runs it together with the web client.
try {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL });
  const chat = await startChatServer(config, { logger });
  // Before anything else that takes time, so an early SIGTERM still drains.
  onTerminate(logger, [() => chat.shutdown()]);
  const embedded = config.DATABASE_URL === undefined && config.SEED_USERS.length === 0;
  const demo = embedded ? await addDemoAccount(chat.store) : undefined;
  process.stderr.write(howToConnect(chat.address, demo));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}
