import type { ChatStore, StoredNote, SubscriptionEvent, Unsubscribe } from "../store/chat-store.ts";

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
  const stream = new RoomStream(options);
  stream.start();
  return stream;
}

/**
 * One stream's state as one object with its methods on the prototype. A live stream waits for
 * nothing: a note that arrives while the sink takes more is written from the store's callback,
 * and only a full sink parks the rest in the queue until it drains. An earlier version was an
 * async loop around closures, and each of 1,000 open streams held its suspended frame, a
 * dozen closures and their contexts and four promises, about 1 KiB (heap snapshot, README).
 */
class RoomStream implements NoteStream {
  readonly done: Promise<StreamOutcome>;
  #finish: (outcome: StreamOutcome) => void = () => {};
  readonly #options: NoteStreamOptions;
  #cursor: number;
  #live = false;
  #wentLive: (() => void) | undefined;
  #livePromise: Promise<void> | undefined;
  /** The sink said it is full: the next note waits in the queue until it drains. */
  #blocked = false;
  #replayAgain = false;
  readonly #queue: StoredNote[] = [];
  #outcome: StreamOutcome | undefined;
  #unsubscribe: Unsubscribe | undefined;

  constructor(options: NoteStreamOptions) {
    this.#options = options;
    this.#cursor = options.afterId;
    this.done = new Promise<StreamOutcome>((resolve) => {
      this.#finish = resolve;
    });
  }

  /** Made on first use: production never asks, so its streams carry no second promise. */
  get live(): Promise<void> {
    if (this.#live) return Promise.resolve();
    this.#livePromise ??= new Promise<void>((resolve) => {
      this.#wentLive = resolve;
    });
    return this.#livePromise;
  }

  cursor(): number {
    return this.#cursor;
  }

  stop(result: StreamOutcome): void {
    if (this.#outcome !== undefined) return;
    this.#outcome = result;
    this.#queue.length = 0;
    this.#unsubscribe?.();
    this.#finish(result);
  }

  start(): void {
    this.#run().catch((error: unknown) => this.stop({ kind: "failed", error }));
  }

  async #run(): Promise<void> {
    const unsubscribe = await this.#options.store.subscribe(this.#options.room, this.#onEvent);
    if (this.#outcome !== undefined) {
      unsubscribe();
      return;
    }
    this.#unsubscribe = unsubscribe;
    await this.#replay();
    if (this.#outcome !== undefined) return;
    this.#live = true;
    this.#wentLive?.();
    this.#flush();
  }

  /** Reads the store after the cursor, page by page, waiting whenever the sink is full. */
  async #replay(): Promise<void> {
    const { store, room } = this.#options;
    const pageSize = this.#options.pageSize ?? 500;
    do {
      this.#replayAgain = false;
      for (;;) {
        const page = await store.listAfter(room, this.#cursor, pageSize);
        for (const note of page) {
          if (this.#outcome !== undefined) return;
          if (!this.#write(note)) await this.#drained();
        }
        if (page.length < pageSize) break;
      }
    } while (this.#replayAgain && this.#outcome === undefined);
  }

  // A field, not a method: the store keeps this one function per stream as its listener.
  readonly #onEvent = (event: SubscriptionEvent): void => {
    if (this.#outcome !== undefined) return;
    if (event.kind === "lost") {
      this.stop(event);
      return;
    }
    if (this.#live && !this.#blocked && this.#queue.length === 0) {
      this.#sendLive(event.note);
      return;
    }
    this.#queue.push(event.note);
    if (this.#queue.length <= this.#options.bufferLimit) return;
    if (this.#live) {
      this.stop({ kind: "overflow", buffered: this.#queue.length });
      return;
    }
    this.#queue.length = 0;
    this.#replayAgain = true;
  };

  /** Writes queued notes until the queue is empty or the sink is full. */
  #flush(): void {
    while (this.#outcome === undefined && !this.#blocked) {
      const note = this.#queue.shift();
      if (note === undefined) return;
      this.#sendLive(note);
    }
  }

  #sendLive(note: StoredNote): void {
    // Called from the store's fan-out: a throw would reach the other subscribers' delivery.
    let more: boolean;
    try {
      more = this.#write(note);
    } catch (error) {
      this.stop({ kind: "failed", error });
      return;
    }
    if (more) return;
    this.#blocked = true;
    void this.#drained().then(() => {
      this.#blocked = false;
      this.#flush();
    });
  }

  /** Writes a note past the cursor; false when the sink is full and the next must wait. */
  #write(note: StoredNote): boolean {
    if (note.id <= this.#cursor) return true;
    this.#cursor = note.id;
    return this.#options.sink.write(note);
  }

  #drained(): Promise<unknown> {
    return Promise.race([this.#options.sink.drained(), this.done]);
  }
}
