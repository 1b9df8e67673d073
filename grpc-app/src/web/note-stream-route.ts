import type { IncomingMessage, ServerResponse } from "node:http";
import type { NoteSubscription, StreamEnd } from "./chat-gateway.ts";
import { sendError } from "./http-response.ts";
import { controlEvent, keepAlive, noteEvent, resumeCursor, streamPreamble } from "./note-events.ts";
import type { Session } from "./session-token.ts";
import type { WebContext } from "./web-context.ts";

/** How long the browser waits before reconnecting a dropped stream. */
const retryMs = 1_000;
/** Comfortably inside the ALB's 60 s idle timeout. */
const keepAliveMs = 15_000;

/** Ends one open stream; the browser reconnects (to any replica) and resumes. */
export type StreamCloser = () => void;

/**
 * GET /api/rooms/:room/events: the room's notes as server-sent events, replayed after the
 * browser's cursor and then live, relayed from the chat server's ChatStream. Returns the
 * function that ends it, so a shutting-down server can send browsers elsewhere.
 */
export function streamNotes(
  context: WebContext,
  session: Session,
  room: string,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
): StreamCloser {
  const afterId = resumeCursor(
    single(request.headers["last-event-id"]),
    url.searchParams.get("after"),
  );
  const log = context.logger.child({ room, username: session.username });
  response.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    connection: "keep-alive",
    // Proxies such as nginx buffer responses unless told not to; events must flow at once.
    "x-accel-buffering": "no",
  });
  response.write(streamPreamble(retryMs));
  log.debug("web.stream.open", { afterId });

  let open = true;
  let subscription: NoteSubscription | undefined;
  const timer = setInterval(() => response.write(keepAlive), keepAliveMs);
  const finish = (last?: string) => {
    if (!open) return;
    open = false;
    clearInterval(timer);
    subscription?.cancel();
    response.end(last);
  };

  subscription = context.gateway.streamNotes(session.token, room, afterId, {
    note: (note) => {
      // A browser that reads slowly fills the socket; pausing the gRPC stream pushes the
      // backpressure to the chat server, whose bounded buffer decides, instead of this heap.
      if (!response.write(noteEvent(note))) {
        subscription?.pause();
        response.once("drain", () => subscription?.resume());
      }
    },
    end: (reason: StreamEnd) => {
      log.info("web.stream.end", { reason: reason.kind });
      finish(endFrame(reason));
    },
  });
  request.on("close", () => finish());
  return () => finish();
}

function endFrame(reason: StreamEnd): string | undefined {
  switch (reason.kind) {
    case "unauthenticated":
      return controlEvent("session-expired");
    case "invalid":
      return controlEvent("room-invalid", { error: reason.message });
    case "interrupted":
      // Ending the response makes the browser reconnect with Last-Event-ID after `retry`.
      return undefined;
  }
}

/** Answers a stream request that has no session; EventSource then stops retrying. */
export function refuseStream(response: ServerResponse): void {
  sendError(response, 401, "Not signed in.", "signed-out");
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
