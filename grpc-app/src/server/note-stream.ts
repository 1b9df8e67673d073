import type { ChatStore, StoredNote, SubscriptionEvent } from "../store/chat-store.ts";

/** Where a subscriber's notes go: a gRPC call in production, an array in unit tests. */
export type NoteSink = {
  /** Writes one note; false means "buffer full, wait for `drained` before the next". */
  write(note: StoredNote): boolean;
  /** Resolves when the sink can take more (or is gone; the stream then learns it by `stop`). */
  drained(): Promise<void>;
};

/** Why a note stream ended. Only `stop` and the store end it: it never completes by itself. */
export type StreamOutcome =
  | { kind: "cancelled" }
  | { kind: "draining" }
  | { kind: "revoked" }
  | { kind: "overflow"; buffered: number }
  | { kind: "lost"; reason: string }
  | { kind: "failed"; error: unknown };

export type NoteStream = {
  done: Promise<StreamOutcome>;
  /** Resolves when the replay is over and live notes flow. */
  live: Promise<void>;
  stop(outcome: StreamOutcome): void;
  /** The id of the last note written to the sink (the client's resume cursor). */
  cursor(): number;
};

export type NoteStreamOptions = {
  store: ChatStore;
  room: string;
  afterId: number;
  sink: NoteSink;
  /** Live notes held for this subscriber before it is cut off as too slow. */
  bufferLimit: number;
  /** Notes read from the store per replay query. */
  pageSize?: number;
};

/**
 * Replays a room after a cursor, then streams live notes, with no gap and no duplicate.
 *
 * Order matters: it subscribes first and buffers live notes, then replays from the store
 * (which already holds everything committed before the subscription), then drains the buffer,
 * skipping ids at or below what it already sent. Memory stays bounded: while replaying, an
 * overflowing live buffer is dropped and the store re-read (the store has those notes too);
 * once live, overflow ends the stream so a slow reader cannot grow the server.
 */
export function startNoteStream(options: NoteStreamOptions): NoteStream {
  const { store, room, sink, bufferLimit } = options;
  const pageSize = options.pageSize ?? 500;
  let cursor = options.afterId;
  let live = false;
  let replayAgain = false;
  const queue: StoredNote[] = [];
  let outcome: StreamOutcome | undefined;
  let wake: () => void = () => {};
  let finish: (outcome: StreamOutcome) => void = () => {};
  let wentLive: () => void = () => {};
  const livePromise = new Promise<void>((resolve) => {
    wentLive = resolve;
  });
  const finished = new Promise<StreamOutcome>((resolve) => {
    finish = resolve;
  });

  const stop = (result: StreamOutcome) => {
    if (outcome !== undefined) return;
    outcome = result;
    queue.length = 0;
    finish(result);
    wake();
  };

  const onEvent = (event: SubscriptionEvent) => {
    if (outcome !== undefined) return;
    if (event.kind === "lost") {
      stop(event);
      return;
    }
    queue.push(event.note);
    if (queue.length > bufferLimit) {
      if (!live) {
        queue.length = 0;
        replayAgain = true;
      } else {
        stop({ kind: "overflow", buffered: queue.length });
        return;
      }
    }
    wake();
  };

  const send = async (note: StoredNote) => {
    if (note.id <= cursor) return;
    cursor = note.id;
    if (!sink.write(note)) await Promise.race([sink.drained(), finished]);
  };

  const replay = async () => {
    do {
      replayAgain = false;
      for (;;) {
        const page = await store.listAfter(room, cursor, pageSize);
        for (const note of page) {
          if (outcome !== undefined) return;
          await send(note);
        }
        if (page.length < pageSize) break;
      }
    } while (replayAgain && outcome === undefined);
  };

  const run = async () => {
    const unsubscribe = await store.subscribe(room, onEvent);
    try {
      await replay();
      live = true;
      wentLive();
      while (outcome === undefined) {
        const note = queue.shift();
        if (note !== undefined) {
          await send(note);
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      unsubscribe();
    }
  };

  run().catch((error: unknown) => stop({ kind: "failed", error }));
  return { done: finished, live: livePromise, stop, cursor: () => cursor };
}
