import {
  type ChannelOptions,
  Client,
  credentials,
  Metadata,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import { z } from "zod";
import { AuthServiceClient, ChatServiceClient, type Note } from "../gen/chat/v1/chat.ts";
import {
  type ChatGateway,
  ChatUnavailableError,
  type LoginOutcome,
  type NoteHandlers,
  type NoteSubscription,
  type RefreshOutcome,
  type SendOutcome,
  type SessionTokens,
  type StreamEnd,
  type WebNote,
} from "./chat-gateway.ts";

/** Unary calls give up after this long; the page shows the failure and the user retries. */
const callTimeoutMs = 5_000;

/**
 * grpc-js backs off up to 120 s between reconnects by default; a web replica that waited
 * that long after the chat server came back would report 503 and fail logins meanwhile.
 */
const channelOptions: ChannelOptions = {
  "grpc.initial_reconnect_backoff_ms": 250,
  "grpc.max_reconnect_backoff_ms": 3_000,
  // With a headless Service (`dns:///chat-headless:50051`) DNS names every chat pod, and
  // round_robin spreads the streams of all browsers over them; with one address it is moot.
  "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
};

/** grpc.health.v1 HealthCheckResponse as grpc-health-check's loader decodes it (enums as names). */
const HealthCheckResponse = z.object({ status: z.string() });

/** The chat gateway over gRPC: one channel per client, shared by every browser session. */
export function grpcChatGateway(target: string): ChatGateway {
  const channelCredentials = credentials.createInsecure();
  const auth = new AuthServiceClient(target, channelCredentials, channelOptions);
  const chat = new ChatServiceClient(target, channelCredentials, channelOptions);
  const health = new Client(target, channelCredentials, channelOptions);
  const check = healthService.Check;
  if (check === undefined) throw new Error("grpc-health-check no longer defines Health.Check");

  return {
    login: (username, password, clientAddress) =>
      new Promise<LoginOutcome>((resolve, reject) => {
        // The chat server trusts the right-most entry (TRUSTED_PROXY_HOPS=1): the one we set.
        const metadata = new Metadata();
        metadata.set("x-forwarded-for", clientAddress);
        auth.login({ username, password }, metadata, deadline(), (error, response) => {
          if (error === null) {
            resolve({ kind: "signed-in", ...sessionTokens(response) });
            return;
          }
          if (error.code === status.UNAUTHENTICATED || error.code === status.INVALID_ARGUMENT) {
            resolve({ kind: "rejected" });
            return;
          }
          if (error.code === status.RESOURCE_EXHAUSTED) {
            resolve(loginRefusal(error));
            return;
          }
          reject(unavailable("Login", error));
          return;
        });
      }),

    refresh: (refreshToken) =>
      new Promise<RefreshOutcome>((resolve, reject) => {
        auth.refreshSession({ refreshToken }, new Metadata(), deadline(), (error, response) => {
          if (error === null) {
            resolve({ kind: "refreshed", ...sessionTokens(response) });
            return;
          }
          if (error.code === status.UNAUTHENTICATED) {
            resolve({ kind: "rejected" });
            return;
          }
          if (error.code === status.ABORTED) {
            resolve({ kind: "superseded" });
            return;
          }
          reject(unavailable("RefreshSession", error));
          return;
        });
      }),

    logout: ({ token, refreshToken }) =>
      new Promise<void>((resolve, reject) => {
        const metadata = token === undefined ? new Metadata() : bearer(token);
        auth.logout({ refreshToken: refreshToken ?? "" }, metadata, deadline(), (error) => {
          // UNAUTHENTICATED: nothing valid was left to revoke, so the session is over anyway.
          if (error === null || error.code === status.UNAUTHENTICATED) {
            resolve();
            return;
          }
          reject(unavailable("Logout", error));
          return;
        });
      }),

    sendNote: (token, room, text) =>
      new Promise<SendOutcome>((resolve, reject) => {
        chat.sendNote({ room, text }, bearer(token), deadline(), (error, response) => {
          if (error === null) {
            resolve({ kind: "sent", id: response.id });
            return;
          }
          if (error.code === status.UNAUTHENTICATED) {
            resolve({ kind: "unauthenticated" });
            return;
          }
          if (error.code === status.INVALID_ARGUMENT) {
            resolve({ kind: "invalid", message: error.details });
            return;
          }
          reject(unavailable("SendNote", error));
          return;
        });
      }),

    streamNotes: (token, room, afterId, handlers) =>
      followNotes(chat, token, room, afterId, handlers),

    isServing: (timeoutMs) =>
      new Promise<boolean>((resolve) => {
        health.makeUnaryRequest(
          check.path,
          check.requestSerialize,
          check.responseDeserialize,
          { service: "" },
          new Metadata(),
          { deadline: new Date(Date.now() + timeoutMs) },
          (error, response) => {
            const parsed = HealthCheckResponse.safeParse(response);
            resolve(error === null && parsed.success && parsed.data.status === "SERVING");
          },
        );
      }),

    close: () => {
      auth.close();
      chat.close();
      health.close();
    },
  };
}

function followNotes(
  chat: ChatServiceClient,
  token: string,
  room: string,
  afterId: number,
  handlers: NoteHandlers,
): NoteSubscription {
  const call = chat.chatStream({ room, afterId }, bearer(token));
  let ended = false;
  const end = (reason: StreamEnd) => {
    if (ended) return;
    ended = true;
    handlers.end(reason);
  };
  call.on("data", (response: { note?: Note }) => {
    if (response.note !== undefined) handlers.note(webNote(response.note));
  });
  call.on("error", (error: ServiceError) => end(streamEnd(error)));
  // A stream that ends cleanly was closed by the server (for instance while draining);
  // the browser reconnects and resumes, so the end is an interruption, not a finish.
  call.on("end", () => end({ kind: "interrupted", detail: "stream closed by the server" }));
  return {
    pause: () => call.pause(),
    resume: () => call.resume(),
    cancel: () => {
      ended = true;
      call.cancel();
    },
  };
}

/** The chat server always sets both expiries; a fallback only keeps a broken one bounded. */
function sessionTokens(response: {
  token: string;
  expiresAt?: Date | undefined;
  refreshToken: string;
  refreshExpiresAt?: Date | undefined;
}): SessionTokens {
  return {
    token: response.token,
    expiresAt: response.expiresAt ?? new Date(Date.now() + 60_000),
    refreshToken: response.refreshToken,
    refreshExpiresAt: response.refreshExpiresAt ?? new Date(Date.now() + 60_000),
  };
}

/** Trailers of a refused login, as the chat server's auth service sets them. */
const LoginRefusal = z.object({
  "slipway-refusal": z.enum(["rate-limited", "busy"]).default("busy"),
  "retry-after": z.coerce.number().int().positive().max(86_400).catch(1),
});

function loginRefusal(error: ServiceError): LoginOutcome {
  const trailers = LoginRefusal.parse(error.metadata?.getMap() ?? {});
  const retryAfterSeconds = trailers["retry-after"];
  return trailers["slipway-refusal"] === "rate-limited"
    ? { kind: "limited", retryAfterSeconds }
    : { kind: "busy", retryAfterSeconds };
}

function streamEnd(error: ServiceError): StreamEnd {
  if (error.code === status.UNAUTHENTICATED) return { kind: "unauthenticated" };
  if (error.code === status.INVALID_ARGUMENT) return { kind: "invalid", message: error.details };
  return { kind: "interrupted", detail: `${status[error.code]}: ${error.details}` };
}

function webNote(note: Note): WebNote {
  return {
    id: note.id,
    room: note.room,
    author: note.author,
    text: note.text,
    sentAt: (note.sentAt ?? new Date(0)).toISOString(),
  };
}

function bearer(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  return metadata;
}

function deadline(): { deadline: Date } {
  return { deadline: new Date(Date.now() + callTimeoutMs) };
}

function unavailable(method: string, error: ServiceError): ChatUnavailableError {
  return new ChatUnavailableError(`${method} failed: ${status[error.code]}`, { cause: error });
}
