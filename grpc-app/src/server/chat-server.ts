import { randomBytes } from "node:crypto";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { createAuthInterceptor } from "../auth/auth-interceptor.ts";
import { createHashSlots, type HashSlots } from "../auth/hash-slots.ts";
import { createLoginLimits } from "../auth/login-limits.ts";
import { createTokenIssuer } from "../auth/tokens.ts";
import type { Config } from "../config.ts";
import { AuthServiceService, ChatServiceService } from "../gen/chat/v1/chat.ts";
import { createLogger, type Logger } from "../log/logger.ts";
import type { ChatStore } from "../store/chat-store.ts";
import { openStore } from "../store/open-store.ts";
import { createAuthService } from "./auth-service.ts";
import { createChatService } from "./chat-service.ts";
import { type HealthState, startHealth } from "./health-state.ts";
import { addReflection } from "./reflection.ts";
import { maxRequestBytes } from "./requests.ts";
import { startRevocationSweep } from "./revocation-sweep.ts";
import { createStreamRegistry } from "./stream-registry.ts";

export type ChatServer = {
  port: number;
  /** host:port that clients dial, with the real port when 0 was asked for. */
  address: string;
  store: ChatStore;
  health: HealthState;
  /** Password checks running now and at most so far (the LOGIN_HASH_CONCURRENCY cap). */
  loginHashing: HashSlots["stats"];
  /**
   * Drains and stops: NOT_SERVING, refuse new calls, end open streams with UNAVAILABLE so their
   * clients resume elsewhere, wait for in-flight calls up to `graceMs`, then cut what is left.
   */
  shutdown(graceMs?: number): Promise<void>;
};

function bind(server: Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    );
  });
}

/**
 * Starts the chat server: the two chat.v1 services behind the auth interceptor, grpc.health.v1
 * and reflection. Uses `deps.store` when given (tests), else opens the configured store.
 */
export async function startChatServer(
  config: Config,
  deps: {
    store?: ChatStore;
    logger?: Logger;
    /** Milliseconds since the epoch, for login limits and token times; tests pass their own. */
    now?: () => number;
  } = {},
): Promise<ChatServer> {
  const logger = deps.logger ?? createLogger({ level: config.LOG_LEVEL });
  // The server closes a store it opened; a store passed in belongs to the caller.
  const ownsStore = deps.store === undefined;
  const store = deps.store ?? (await openStore(config, logger));
  if (config.TOKEN_SECRET === undefined) {
    logger.warn("token.secret.generated", {
      note: "TOKEN_SECRET unset: tokens from this process are valid only until it stops",
    });
  }
  const now = deps.now ?? Date.now;
  const tokens = createTokenIssuer({
    secret: config.TOKEN_SECRET ?? randomBytes(32).toString("base64url"),
    ttlSeconds: config.TOKEN_TTL_SECONDS,
    now: () => new Date(now()),
  });
  const streams = createStreamRegistry(config.MAX_STREAMS, config.MAX_STREAMS_PER_USER);
  const server = new Server({
    interceptors: [createAuthInterceptor(tokens, store, ["/chat.v1.ChatService/"], logger)],
    // Pings find clients that vanished without closing (a dead NAT entry, a crashed laptop),
    // so their streams end and free their slots instead of holding them forever.
    "grpc.keepalive_time_ms": 30_000,
    "grpc.keepalive_timeout_ms": 10_000,
    // Near the largest valid request, not grpc-js's 4 MiB: 48 oversized messages at once took
    // a replica to 198 MiB of its 256 Mi limit. Bigger ones end with RESOURCE_EXHAUSTED.
    "grpc.max_receive_message_length": maxRequestBytes(config.MAX_TEXT_BYTES),
  });
  const hashing = createHashSlots({
    concurrency: config.LOGIN_HASH_CONCURRENCY,
    queue: config.LOGIN_HASH_QUEUE,
    perOwner: config.LOGIN_HASH_PER_ADDRESS_OR_USER,
  });
  const limits = createLoginLimits(
    {
      windowMs: config.LOGIN_WINDOW_SECONDS * 1000,
      failuresPerUserAddress: config.LOGIN_FAILURES_PER_USER_ADDRESS,
      failuresPerUser: config.LOGIN_FAILURES_PER_USER,
      attemptsPerUser: config.LOGIN_ATTEMPTS_PER_USER,
      attemptsPerAddress: config.LOGIN_ATTEMPTS_PER_ADDRESS,
    },
    now,
  );
  server.addService(
    AuthServiceService,
    createAuthService({
      store,
      tokens,
      limits,
      hashing,
      trustedProxyHops: config.TRUSTED_PROXY_HOPS,
      refreshTtlSeconds: config.REFRESH_TTL_SECONDS,
      refreshReuseGraceMs: config.REFRESH_REUSE_GRACE_MS,
      now,
      logger,
    }),
  );
  server.addService(
    ChatServiceService,
    createChatService({
      store,
      streams,
      maxTextBytes: config.MAX_TEXT_BYTES,
      bufferLimit: config.SUBSCRIBER_BUFFER,
      logger,
    }),
  );
  const sweep = startRevocationSweep({
    streams,
    store,
    intervalMs: config.REVOCATION_CHECK_MS,
    logger,
  });
  addReflection(server);
  const health = await startHealth({
    server,
    ping: () => store.ping(),
    intervalMs: config.HEALTH_CHECK_INTERVAL_MS,
    logger,
  });
  const port = await bind(server, config.GRPC_ADDRESS);
  const host = config.GRPC_ADDRESS.slice(0, config.GRPC_ADDRESS.lastIndexOf(":"));
  const address = `${host}:${port}`;
  logger.info("server.listening", {
    address,
    port,
    store: config.DATABASE_URL ? "postgres" : "memory",
  });

  let stopping: Promise<void> | undefined;
  const shutdown = (graceMs = config.SHUTDOWN_GRACE_MS) => {
    stopping ??= (async () => {
      const started = Date.now();
      logger.info("server.draining", { openStreams: streams.size(), graceMs });
      health.markShuttingDown();
      sweep.stop();
      streams.drainAll();
      const closed = new Promise<"closed">((resolve) =>
        server.tryShutdown(() => resolve("closed")),
      );
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<"expired">((resolve) => {
        timer = setTimeout(() => resolve("expired"), graceMs);
      });
      const how = await Promise.race([closed, expired]);
      clearTimeout(timer);
      if (how === "expired") server.forceShutdown();
      if (ownsStore) await store.close();
      logger.info("server.stopped", { how, tookMs: Date.now() - started });
    })();
    return stopping;
  };

  return { port, address, store, health, loginHashing: hashing.stats, shutdown };
}
