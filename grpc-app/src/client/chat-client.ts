import {
  type ChannelCredentials,
  credentials,
  Metadata,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import {
  AuthServiceClient,
  ChatServiceClient,
  type LoginResponse,
  type Note,
  type RefreshSessionResponse,
  type SendNoteResponse,
} from "../gen/chat/v1/chat.ts";

export type { Note };

/** Where a client gets its bearer token; `refresh` drops a cached one after UNAUTHENTICATED. */
export type TokenSource = { token(): Promise<string>; refresh?(): void };

export type Retrying = { code: status; details: string; target: string; delayMs: number };

export type FollowOptions = {
  auth: TokenSource;
  room: string;
  /** Resume cursor: the last id already seen (0 for the whole history). */
  afterId?: number;
  onNote(note: Note): void;
  /** Told before each reconnect, with why the last stream ended. */
  onRetry?(event: Retrying): void;
};

/** A followed room. `done` rejects only on errors a retry cannot fix (bad room, bad login). */
export type Following = { cursor(): number; stop(): void; done: Promise<void> };

export type ChatClient = {
  login(username: string, password: string): Promise<LoginResponse>;
  /** Spends a refresh token for a new access token and the next refresh token. */
  refreshSession(refreshToken: string): Promise<RefreshSessionResponse>;
  send(auth: TokenSource, room: string, text: string): Promise<SendNoteResponse>;
  /** Streams a room forever: replays after the cursor, then live; on any break, resumes. */
  follow(options: FollowOptions): Following;
  close(): void;
};

const permanent = new Set<status>([
  status.INVALID_ARGUMENT,
  status.PERMISSION_DENIED,
  status.UNIMPLEMENTED,
]);

const bearer = async (auth: TokenSource) => {
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${await auth.token()}`);
  return metadata;
};

/** Exponential backoff from 50 ms to 2 s with full jitter. */
const backoff = (attempt: number) => Math.round(Math.random() * Math.min(2000, 50 * 2 ** attempt));

/**
 * A client for the chat services over one or more targets. Behind a load balancer pass one
 * address; pass several (tests, the CLI) and it moves to the next one when a call fails with
 * UNAVAILABLE, as a client would land on another replica.
 */
export function createChatClient(options: {
  address: string | string[];
  credentials?: ChannelCredentials;
}): ChatClient {
  const targets = Array.isArray(options.address) ? options.address : [options.address];
  const channelCredentials = options.credentials ?? credentials.createInsecure();
  // Keepalive notices a replica that vanished without closing its connection.
  const channelOptions = { "grpc.keepalive_time_ms": 30_000, "grpc.keepalive_timeout_ms": 10_000 };
  const stubs = targets.map((target) => ({
    target,
    auth: new AuthServiceClient(target, channelCredentials, channelOptions),
    chat: new ChatServiceClient(target, channelCredentials, channelOptions),
  }));
  let current = 0;
  const stub = () => stubs[current % stubs.length] ?? (stubs[0] as (typeof stubs)[number]);
  const moveOn = () => {
    current = (current + 1) % stubs.length;
  };

  const unary = <T>(run: (done: (error: ServiceError | null, value: T) => void) => void) =>
    new Promise<T>((resolve, reject) =>
      run((error, value) => (error ? reject(error) : resolve(value))),
    );

  // Retries what never reached a handler or hit a stopping replica; a note may then be stored
  // twice if the first attempt's reply was lost (at-least-once, as with any RPC retry).
  const withFailover = async <T>(call: () => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await call();
      } catch (error) {
        const code = (error as ServiceError).code;
        if (code !== status.UNAVAILABLE || attempt >= stubs.length * 3) throw error;
        moveOn();
        await new Promise((resolve) => setTimeout(resolve, backoff(attempt)));
      }
    }
  };

  const follow = (follow: FollowOptions): Following => {
    let cursor = follow.afterId ?? 0;
    let stopped = false;
    let cancel: () => void = () => {};
    const streamOnce = async () => {
      const metadata = await bearer(follow.auth);
      return new Promise<{ error: ServiceError; received: number }>((resolve) => {
        let received = 0;
        const call = stub().chat.chatStream({ room: follow.room, afterId: cursor }, metadata);
        cancel = () => call.cancel();
        if (stopped) call.cancel();
        call.on("data", (message: { note?: Note }) => {
          const note = message.note;
          if (note === undefined || note.id <= cursor) return;
          cursor = note.id;
          received += 1;
          follow.onNote(note);
        });
        call.on("error", (error: ServiceError) => resolve({ error, received }));
        // A stream that ends with OK is unusual (the server never does); treat it as a break.
        call.on("end", () =>
          resolve({
            error: Object.assign(new Error("stream ended"), {
              code: status.UNAVAILABLE,
              details: "stream ended",
              metadata: new Metadata(),
            }),
            received,
          }),
        );
      });
    };
    const run = async () => {
      for (let attempt = 0; !stopped; attempt += 1) {
        // A replica that is down fails the login too: that is a break to retry, not an end.
        const { error, received } = await streamOnce().catch((error: ServiceError) => {
          if (error.code !== status.UNAVAILABLE) throw error;
          return { error, received: 0 };
        });
        if (stopped) return;
        if (permanent.has(error.code)) throw error;
        if (error.code === status.UNAUTHENTICATED) {
          if (follow.auth.refresh === undefined) throw error;
          follow.auth.refresh();
        }
        if (received > 0) attempt = 0;
        const target = stub().target;
        if (error.code !== status.RESOURCE_EXHAUSTED || received === 0) moveOn();
        const delayMs = backoff(attempt);
        follow.onRetry?.({ code: error.code, details: error.details, target, delayMs });
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    };
    return {
      cursor: () => cursor,
      stop() {
        stopped = true;
        cancel();
      },
      done: run(),
    };
  };

  return {
    login: (username, password) =>
      withFailover(() =>
        unary<LoginResponse>((done) => stub().auth.login({ username, password }, done)),
      ),
    refreshSession: (refreshToken) =>
      withFailover(() =>
        unary<RefreshSessionResponse>((done) => stub().auth.refreshSession({ refreshToken }, done)),
      ),
    send: (auth, room, text) =>
      withFailover(async () => {
        const metadata = await bearer(auth);
        return unary<SendNoteResponse>((done) =>
          stub().chat.sendNote({ room, text }, metadata, done),
        );
      }),
    follow,
    close() {
      for (const { auth, chat } of stubs) {
        auth.close();
        chat.close();
      }
    },
  };
}

/**
 * A TokenSource that logs in with a password, renews the access token with its refresh token
 * shortly before it expires (a login only if that fails: logins are rate-limited), and logs
 * in again after the server refused the token.
 */
export function passwordSession(
  client: ChatClient,
  username: string,
  password: string,
): TokenSource {
  let session: Promise<LoginResponse> | undefined;
  const renew = async (current: LoginResponse | undefined): Promise<LoginResponse> => {
    const refreshable =
      current?.refreshToken && (current.refreshExpiresAt?.getTime() ?? 0) > Date.now();
    if (refreshable) {
      const renewed = await client.refreshSession(current.refreshToken).catch(() => undefined);
      if (renewed !== undefined) return renewed;
    }
    return client.login(username, password);
  };
  return {
    async token() {
      const current = session && (await session.catch(() => undefined));
      const fresh = current?.expiresAt && current.expiresAt.getTime() - Date.now() > 30_000;
      if (!fresh) session = renew(current);
      return (await (session as Promise<LoginResponse>)).token;
    },
    refresh() {
      session = undefined;
    },
  };
}
