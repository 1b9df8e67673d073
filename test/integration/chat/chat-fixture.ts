import { randomBytes } from "node:crypto";
import {
  type ClientReadableStream,
  credentials,
  Metadata,
  makeGenericClientConstructor,
  type ServiceError,
} from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import { hashPassword } from "../../../grpc-app/src/auth/password-hash.ts";
import { loadConfig } from "../../../grpc-app/src/config.ts";
import {
  AuthServiceClient,
  ChatServiceClient,
  type ChatStreamResponse,
  type LoginResponse,
  type Note,
  type RefreshSessionResponse,
} from "../../../grpc-app/src/gen/chat/v1/chat.ts";
import { createLogger, type LogEntry, type Logger } from "../../../grpc-app/src/log/logger.ts";
import { type ChatServer, startChatServer } from "../../../grpc-app/src/server/chat-server.ts";
import type { ChatStore } from "../../../grpc-app/src/store/chat-store.ts";

/** Captured log entries, so a test can await a server event instead of sleeping. */
export type LogTap = {
  logger: Logger;
  entries: LogEntry[];
  next(match: (entry: LogEntry) => boolean): Promise<LogEntry>;
};

export function tapLogs(): LogTap {
  const entries: LogEntry[] = [];
  const waiters: { match: (entry: LogEntry) => boolean; resolve: (entry: LogEntry) => void }[] = [];
  const sink = (entry: LogEntry) => {
    entries.push(entry);
    for (const waiter of [...waiters]) {
      if (!waiter.match(entry)) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(entry);
    }
  };
  return {
    logger: createLogger({ level: "debug", sink }),
    entries,
    next: (match) => new Promise((resolve) => waiters.push({ match, resolve })),
  };
}

export const testSecret = "contract-suite-secret-0123456789abcdef";

export type TestServer = {
  server: ChatServer;
  logs: LogTap;
  auth: AuthServiceClient;
  chat: ChatServiceClient;
  /** Creates an account with a random password and returns its first tokens. */
  signIn(
    username?: string,
  ): Promise<{ username: string; password: string; token: string; refreshToken: string }>;
  stop(): Promise<void>;
};

/** Starts the real chat server in this process on 127.0.0.1:0 over `store`. */
export async function startTestServer(
  store: ChatStore,
  env: Record<string, string> = {},
  deps: { now?: () => number } = {},
): Promise<TestServer> {
  const logs = tapLogs();
  const config = loadConfig({ GRPC_ADDRESS: "127.0.0.1:0", TOKEN_SECRET: testSecret, ...env });
  const server = await startChatServer(config, { store, logger: logs.logger, now: deps.now });
  const auth = new AuthServiceClient(server.address, credentials.createInsecure());
  const chat = new ChatServiceClient(server.address, credentials.createInsecure());
  return {
    server,
    logs,
    auth,
    chat,
    async signIn(username = `user-${randomBytes(4).toString("hex")}`) {
      const password = randomBytes(12).toString("base64url");
      await store.putAccount({ username, passwordHash: await hashPassword(password) });
      const { token, refreshToken } = await login(auth, username, password);
      return { username, password, token, refreshToken };
    },
    async stop() {
      auth.close();
      chat.close();
      await server.shutdown(1000);
    },
  };
}

export const newRoom = () => `room-${randomBytes(5).toString("hex")}`;

export function bearer(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  return metadata;
}

export function login(
  auth: AuthServiceClient,
  username: string,
  password: string,
  metadata: Metadata = new Metadata(),
) {
  return new Promise<LoginResponse>((resolve, reject) =>
    auth.login({ username, password }, metadata, (error, response) =>
      error ? reject(error) : resolve(response),
    ),
  );
}

/** RefreshSession: spends `refreshToken` for a new pair. */
export function refreshSession(auth: AuthServiceClient, refreshToken: string) {
  return new Promise<RefreshSessionResponse>((resolve, reject) =>
    auth.refreshSession({ refreshToken }, (error, response) =>
      error ? reject(error) : resolve(response),
    ),
  );
}

/** Logout with the access token (as bearer metadata) and or the refresh token. */
export function logout(auth: AuthServiceClient, tokens: { token?: string; refreshToken?: string }) {
  const metadata = tokens.token === undefined ? new Metadata() : bearer(tokens.token);
  return new Promise<void>((resolve, reject) =>
    auth.logout({ refreshToken: tokens.refreshToken ?? "" }, metadata, (error) =>
      error ? reject(error) : resolve(),
    ),
  );
}

/** Metadata as the ALB sends it: whatever the client wrote, then the address it saw. */
export function forwardedFor(...chain: string[]): Metadata {
  const metadata = new Metadata();
  metadata.set("x-forwarded-for", chain.join(", "));
  return metadata;
}

export function sendNote(
  chat: ChatServiceClient,
  token: string | Metadata,
  room: string,
  text: string,
) {
  const metadata = typeof token === "string" ? bearer(token) : token;
  return new Promise<{ id: number; sentAt: Date | undefined }>((resolve, reject) =>
    chat.sendNote({ room, text }, metadata, (error, response) =>
      error ? reject(error) : resolve(response),
    ),
  );
}

export type NoteReader = {
  call: ClientReadableStream<ChatStreamResponse>;
  notes: Note[];
  /** Resolves once `count` notes in total have arrived; rejects if the stream ends first. */
  received(count: number): Promise<Note[]>;
  /** The error the stream ended with. */
  ended: Promise<ServiceError>;
};

/** Opens ChatStream and collects its notes. */
export function openStream(
  chat: ChatServiceClient,
  token: string | Metadata,
  room: string,
  afterId = 0,
): NoteReader {
  const call = chat.chatStream(
    { room, afterId },
    typeof token === "string" ? bearer(token) : token,
  );
  const notes: Note[] = [];
  const waiters: { count: number; resolve: (notes: Note[]) => void; reject: (e: Error) => void }[] =
    [];
  let endedWith: ServiceError | undefined;
  const ended = new Promise<ServiceError>((resolve) => {
    call.on("error", (error: ServiceError) => {
      endedWith = error;
      for (const waiter of waiters) waiter.reject(error);
      resolve(error);
    });
  });
  call.on("data", (message: ChatStreamResponse) => {
    if (message.note !== undefined) notes.push(message.note);
    for (const waiter of [...waiters]) {
      if (notes.length < waiter.count) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(notes.slice());
    }
  });
  return {
    call,
    notes,
    ended,
    received: (count) => {
      if (notes.length >= count) return Promise.resolve(notes.slice());
      if (endedWith !== undefined) return Promise.reject(endedWith);
      return new Promise((resolve, reject) => waiters.push({ count, resolve, reject }));
    },
  };
}

const HealthClient = makeGenericClientConstructor(healthService, "grpc.health.v1.Health");

/** grpc.health.v1 Check, as a probe or a load balancer calls it. */
export function checkHealth(address: string, serviceName = ""): Promise<string> {
  const client = new HealthClient(address, credentials.createInsecure());
  return new Promise((resolve, reject) => {
    const check = client.Check as (
      request: { service: string },
      done: (error: ServiceError | null, response: { status: string }) => void,
    ) => void;
    check.call(client, { service: serviceName }, (error, response) => {
      client.close();
      if (error) reject(error);
      else resolve(response.status);
    });
  });
}

/** grpc.health.v1 Watch: every status the server reports, as a load balancer would see it. */
export function watchHealth(address: string, serviceName = "") {
  const client = new HealthClient(address, credentials.createInsecure());
  const open = client.Watch as (request: {
    service: string;
  }) => ClientReadableStream<{ status: string }>;
  const call = open.call(client, { service: serviceName });
  const seen: string[] = [];
  const waiters: { match: (s: string) => boolean; resolve: (s: string) => void }[] = [];
  call.on("data", ({ status }: { status: string }) => {
    seen.push(status);
    for (const waiter of [...waiters]) {
      if (!waiter.match(status)) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(status);
    }
  });
  call.on("error", () => client.close());
  return {
    seen,
    /** The first status (already seen or coming) that matches. */
    next(match: (s: string) => boolean): Promise<string> {
      const past = seen.find(match);
      if (past !== undefined) return Promise.resolve(past);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
    cancel() {
      call.cancel();
      client.close();
    },
  };
}
