import type { NoteStream } from "./note-stream.ts";

/** The open ChatStreams of one server: enforces the limit and ends them all on shutdown. */
export type StreamRegistry = {
  /** Reserves a slot, unless `limit` streams are open or the server is draining. */
  reserve(): "reserved" | "full" | "draining";
  /** Tracks a started stream in a reserved slot until it ends. */
  track(stream: NoteStream): void;
  /** Stops every open stream as draining (they end with UNAVAILABLE) and refuses new ones. */
  drainAll(): void;
  size(): number;
};

/** Counts slots before a stream starts, so concurrent calls cannot overshoot the limit. */
export function createStreamRegistry(limit: number): StreamRegistry {
  const open = new Set<NoteStream>();
  let reserved = 0;
  let draining = false;
  return {
    reserve() {
      if (draining) return "draining";
      if (reserved >= limit) return "full";
      reserved += 1;
      return "reserved";
    },
    track(stream) {
      open.add(stream);
      if (draining) stream.stop({ kind: "draining" });
      stream.done.finally(() => {
        open.delete(stream);
        reserved -= 1;
      });
    },
    drainAll() {
      draining = true;
      for (const stream of open) stream.stop({ kind: "draining" });
    },
    size: () => reserved,
  };
}
