import { ConfigError, loadConfig } from "./config.ts";
import { createLogger } from "./log/logger.ts";
import { startChatServer } from "./server/chat-server.ts";
import { addDemoAccount, howToConnect } from "./server/demo-account.ts";
import { onTerminate } from "./server/on-terminate.ts";
import { startWebProcess } from "./web/web-process.ts";

// `npm start`: the chat server on the configured store (in memory unless DATABASE_URL is set),
// and beside it the web client as its own process, talking gRPC to it as in the cluster.
try {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL });
  const chat = await startChatServer(config, { logger });
  const embedded = config.DATABASE_URL === undefined && config.SEED_USERS.length === 0;
  const demo = embedded ? await addDemoAccount(chat.store) : undefined;
  process.stderr.write(howToConnect(chat.address, demo));
  const web = await startWebProcess({ env: { GRPC_TARGET: chat.address } }).catch(
    async (error: unknown) => {
      await chat.shutdown(0);
      throw error;
    },
  );
  const signIn = demo === undefined ? "" : ` and sign in as ${demo.username} / ${demo.password}`;
  process.stderr.write(`web client: open ${web.url}${signIn}\n\n`);
  onTerminate(logger, [() => chat.shutdown(), async () => void (await web.stop())]);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}
