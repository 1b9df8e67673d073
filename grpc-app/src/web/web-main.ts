import { ZodError } from "zod";
import { createLogger } from "../log/logger.ts";
import { onTerminate } from "../server/on-terminate.ts";
import { grpcChatGateway } from "./grpc-chat-gateway.ts";
import { loadWebConfig } from "./web-config.ts";
import { parentPipeVariable } from "./web-process.ts";
import { startWebServer, type WebServer } from "./web-server.ts";

/**
 * Starts the web client from the environment and stops it gracefully on SIGTERM or SIGINT:
 * open event streams end first, so browsers reconnect to another replica and resume.
 */
export async function runWebClient(env: Record<string, string | undefined> = process.env) {
  const logger = createLogger({ fields: { service: "web" } });
  let config: ReturnType<typeof loadWebConfig>;
  try {
    config = loadWebConfig(env);
  } catch (error) {
    if (!(error instanceof ZodError)) throw error;
    const lines = error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    logger.error("web.config.invalid", { issues: lines });
    process.exitCode = 1;
    return undefined;
  }
  const gateway = grpcChatGateway(config.GRPC_TARGET);
  const server: WebServer = await startWebServer({ config, gateway, logger });
  onTerminate(logger, [
    async () => {
      await server.close();
      gateway.close();
    },
  ]);
  if (env[parentPipeVariable] === "1") {
    // Started by `npm start` (web-process.ts): stop when the parent goes, however it goes.
    process.stdin.on("close", () => process.kill(process.pid, "SIGTERM"));
    process.stdin.resume();
  }
  return server;
}

if (import.meta.main) {
  const server = await runWebClient();
  // stdout carries JSON logs; the line for people goes to stderr, as the chat server's does.
  const child = process.env[parentPipeVariable] === "1";
  if (server !== undefined && !child) process.stderr.write(`\nweb client on ${server.url}\n`);
}
