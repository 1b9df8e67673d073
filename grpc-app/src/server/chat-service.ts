import { type ServerWritableStream, status } from "@grpc/grpc-js";
import { verifiedToken, verifiedUser } from "../auth/auth-interceptor.ts";
import type {
  ChatServiceServer,
  ChatStreamRequest,
  ChatStreamResponse,
} from "../gen/chat/v1/chat.ts";
import type { Logger } from "../log/logger.ts";
import type { ChatStore } from "../store/chat-store.ts";
import { type CallStatus, statusOf } from "./call-errors.ts";
import { type NoteSink, type StreamOutcome, startNoteStream } from "./note-stream.ts";
import { checkText, parseField, Room } from "./requests.ts";
import type { StreamRegistry } from "./stream-registry.ts";

type StreamCall = ServerWritableStream<ChatStreamRequest, ChatStreamResponse>;

/** The status a stream ends with, by why it ended; undefined when the client left. */
function endStatus(
  outcome: StreamOutcome,
  bufferLimit: number,
  logger: Logger,
): CallStatus | undefined {
  switch (outcome.kind) {
    case "cancelled":
      return undefined;
    case "draining":
      return { code: status.UNAVAILABLE, details: "server shutting down; resume with after_id" };
    case "revoked":
      return { code: status.UNAUTHENTICATED, details: "token revoked; log in again" };
    case "overflow":
      return {
        code: status.RESOURCE_EXHAUSTED,
        details: `reading too slowly: more than ${bufferLimit} notes buffered; resume with after_id`,
      };
    case "lost":
      return { code: status.UNAVAILABLE, details: "fan-out interrupted; resume with after_id" };
    case "failed":
      return statusOf(outcome.error, logger, "ChatStream");
  }
}

function grpcSink(call: StreamCall): NoteSink {
  return {
    write: (note) => call.write({ note }),
    drained: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          call.off("drain", done);
          call.off("cancelled", done);
          resolve();
        };
        call.on("drain", done);
        call.on("cancelled", done);
      }),
  };
}

/** SendNote and ChatStream. The auth interceptor has already verified the caller. */
export function createChatService(deps: {
  store: ChatStore;
  streams: StreamRegistry;
  maxTextBytes: number;
  bufferLimit: number;
  logger: Logger;
}): ChatServiceServer {
  const { store, streams, logger } = deps;
  return {
    sendNote(call, callback) {
      const author = verifiedUser(call.metadata) ?? "";
      const send = async () => {
        const room = parseField(Room, call.request.room);
        const text = checkText(call.request.text, deps.maxTextBytes);
        return store.append({ room, author, text });
      };
      send().then(
        (note) => {
          callback(null, { id: note.id, sentAt: note.sentAt });
        },
        (error: unknown) => {
          callback(statusOf(error, logger, "SendNote"));
        },
      );
    },

    chatStream(call) {
      const parsed = Room.safeParse(call.request.room);
      if (!parsed.success) {
        call.emit("error", {
          code: status.INVALID_ARGUMENT,
          details: parsed.error.issues[0]?.message,
        });
        return;
      }
      // The auth interceptor verified the token before this handler runs.
      const user = verifiedUser(call.metadata) ?? "";
      const token = verifiedToken(call.metadata) ?? { jti: "", sessionId: "" };
      const reservation = streams.reserve(user);
      if (reservation !== "reserved") {
        call.emit("error", refusedStream[reservation]);
        return;
      }
      const room = parsed.data;
      const stream = startNoteStream({
        store,
        room,
        afterId: call.request.afterId,
        sink: grpcSink(call),
        bufferLimit: deps.bufferLimit,
      });
      streams.track(stream, user, token);
      logger.debug("stream.opened", { room, user, afterId: call.request.afterId });
      const onCancelled = () => stream.stop({ kind: "cancelled" });
      call.on("cancelled", onCancelled);
      void stream.done.then((outcome) => {
        call.off("cancelled", onCancelled);
        const log = outcome.kind === "overflow" ? logger.warn : logger.info;
        log("stream.ended", { room, user, outcome: outcome.kind, cursor: stream.cursor() });
        const ending = endStatus(outcome, deps.bufferLimit, logger);
        if (ending !== undefined) call.emit("error", ending);
      });
    },
  };
}

/** How a stream that could not get a slot ends. */
const refusedStream = {
  full: { code: status.RESOURCE_EXHAUSTED, details: "too many open streams on this server" },
  "user-full": {
    code: status.RESOURCE_EXHAUSTED,
    details: "too many open streams for this user; close one first",
  },
  draining: { code: status.UNAVAILABLE, details: "server shutting down; retry elsewhere" },
} as const;
