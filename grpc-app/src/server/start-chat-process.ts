import { ConfigError, loadConfig } from "../config.ts";
import { createLogger } from "../log/logger.ts";
import { type ChatServer, startChatServer } from "./chat-server.ts";
import { addDemoAccount, type DemoAccount, howToConnect } from "./demo-account.ts";
import { onTerminate } from "./on-terminate.ts";

/**
 * The chat server as a process, the one start-up of both entry points: configuration, the
 * server, graceful shutdown on SIGTERM, and a demo account on the embedded store. `alongside`
 * starts what runs beside it (`npm start`'s web client); its stop joins the shutdown. A bad
 * configuration prints why and exits 2.
 */
export async function startChatProcess(
  alongside?: (chat: ChatServer, demo: DemoAccount | undefined) => Promise<() => Promise<void>>,
): Promise<void> {
  try {
    const config = loadConfig();
    const logger = createLogger({ level: config.LOG_LEVEL });
    const chat = await startChatServer(config, { logger });
    const stops = [() => chat.shutdown()];
    // Before anything else that takes time, so an early SIGTERM still drains.
    onTerminate(logger, stops);
    const embedded = config.DATABASE_URL === undefined && config.SEED_USERS.length === 0;
    const demo = embedded ? await addDemoAccount(chat.store) : undefined;
    process.stderr.write(howToConnect(chat.address, demo));
    if (alongside === undefined) return;
    const stop = await alongside(chat, demo).catch(async (error: unknown) => {
      await chat.shutdown(0);
      throw error;
    });
    stops.push(stop);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}
