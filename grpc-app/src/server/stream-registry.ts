import type { TokenRef } from "../store/chat-store.ts";
import type { NoteStream } from "./note-stream.ts";

/** Why a stream may not start: the server's slots, the user's slots, or a shutdown. */
export type Reservation = "reserved" | "full" | "user-full" | "draining";

/** The open ChatStreams of one server: enforces the limits and ends them all on shutdown. */
export type StreamRegistry = {
  /**
   * Reserves a slot for `user`, unless `limit` streams are open, the user holds
   * `perUserLimit` of them, or the server is draining.
   */
  reserve(user: string): Reservation;
  /** Tracks a started stream in a slot `user` reserved, opened with `token`, until it ends. */
  track(stream: NoteStream, user: string, token: TokenRef): void;
  /** The open streams with the access token each was opened with. */
  tokens(): ReadonlyMap<NoteStream, TokenRef>;
  /** Stops every open stream as draining (they end with UNAVAILABLE) and refuses new ones. */
  drainAll(): void;
  size(): number;
};

/**
 * Counts slots before a stream starts, so concurrent calls cannot overshoot either limit. The
 * per-user limit keeps one account (one leaked token, one buggy client) from taking every slot.
 */
export function createStreamRegistry(limit: number, perUserLimit = limit): StreamRegistry {
  const open = new Map<NoteStream, TokenRef>();
  const byUser = new Map<string, number>();
  let reserved = 0;
  let draining = false;
  return {
    reserve(user) {
      if (draining) return "draining";
      if (reserved >= limit) return "full";
      const held = byUser.get(user) ?? 0;
      if (held >= perUserLimit) return "user-full";
      reserved += 1;
      byUser.set(user, held + 1);
      return "reserved";
    },
    track(stream, user, token) {
      open.set(stream, token);
      if (draining) stream.stop({ kind: "draining" });
      stream.done.finally(() => {
        open.delete(stream);
        reserved -= 1;
        const held = (byUser.get(user) ?? 1) - 1;
        if (held > 0) byUser.set(user, held);
        else byUser.delete(user);
      });
    },
    drainAll() {
      draining = true;
      for (const stream of open.keys()) stream.stop({ kind: "draining" });
    },
    tokens: () => open,
    size: () => reserved,
  };
}
