import { describe, expect, it } from "vitest";
import type { StoredNote } from "../store/chat-store.ts";
import { createMemoryStore } from "../store/memory-store.ts";
import { type NoteSink, startNoteStream } from "./note-stream.ts";

/** A sink that records notes and can be made to refuse writes (a slow client). */
function recordingSink() {
  const notes: StoredNote[] = [];
  let blocked = false;
  let release: () => void = () => {};
  let waiter: { count: number; resolve: () => void } | undefined;
  const sink: NoteSink = {
    write(note) {
      notes.push(note);
      if (waiter && notes.length >= waiter.count) waiter.resolve();
      return !blocked;
    },
    drained: () => new Promise((resolve) => (release = resolve)),
  };
  return {
    sink,
    notes,
    block: () => (blocked = true),
    unblock: () => {
      blocked = false;
      release();
    },
    received: (count: number) =>
      notes.length >= count
        ? Promise.resolve()
        : new Promise<void>((resolve) => (waiter = { count, resolve })),
  };
}

const append = (store: ReturnType<typeof createMemoryStore>, room: string, n: number) =>
  Promise.all(
    Array.from({ length: n }, (_, i) => store.append({ room, author: "a", text: `${i}` })),
  );

describe("startNoteStream", () => {
  it("replays after the cursor, then goes live, with no gap or duplicate", async () => {
    const store = createMemoryStore();
    const before = await append(store, "r", 5);
    const recorder = recordingSink();

    const stream = startNoteStream({
      store,
      room: "r",
      afterId: before[1]?.id ?? 0,
      sink: recorder.sink,
      bufferLimit: 4,
      pageSize: 2,
    });
    await recorder.received(3);
    const after = await append(store, "r", 3);
    await recorder.received(6);
    stream.stop({ kind: "cancelled" });

    expect(recorder.notes.map((n) => n.id)).toEqual(
      [...before.slice(2), ...after].map((n) => n.id),
    );
    expect(await stream.done).toEqual({ kind: "cancelled" });
  });

  it("ends a live subscriber whose sink stays full once its buffer overflows", async () => {
    const store = createMemoryStore();
    const recorder = recordingSink();
    const stream = startNoteStream({
      store,
      room: "r",
      afterId: 0,
      sink: recorder.sink,
      bufferLimit: 3,
    });
    await append(store, "r", 1);
    await stream.live;
    await recorder.received(1);
    recorder.block();

    await append(store, "r", 6);

    expect(await stream.done).toEqual({ kind: "overflow", buffered: 4 });
  });

  it("re-reads the store instead of failing when live notes overflow during replay", async () => {
    const store = createMemoryStore();
    await append(store, "r", 4);
    const recorder = recordingSink();
    recorder.block();
    const stream = startNoteStream({
      store,
      room: "r",
      afterId: 0,
      sink: recorder.sink,
      bufferLimit: 2,
    });
    await recorder.received(1);

    await append(store, "r", 10);
    recorder.unblock();
    await recorder.received(14);
    stream.stop({ kind: "cancelled" });

    expect(recorder.notes.map((n) => n.id)).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
  });

  it("ends a live stream whose sink throws as failed, and still delivers to the others", async () => {
    const store = createMemoryStore();
    const failure = new Error("cannot serialise");
    const throwing: NoteSink = {
      write: () => {
        throw failure;
      },
      drained: () => Promise.resolve(),
    };
    const recorder = recordingSink();
    const broken = startNoteStream({
      store,
      room: "r",
      afterId: 0,
      sink: throwing,
      bufferLimit: 2,
    });
    const healthy = startNoteStream({
      store,
      room: "r",
      afterId: 0,
      sink: recorder.sink,
      bufferLimit: 2,
    });
    await Promise.all([broken.live, healthy.live]);

    const [note] = await append(store, "r", 1);

    expect(await broken.done).toEqual({ kind: "failed", error: failure });
    await recorder.received(1);
    expect(recorder.notes.map((n) => n.id)).toEqual([note?.id]);
    healthy.stop({ kind: "cancelled" });
  });

  it("ends with lost when the store can no longer promise delivery", async () => {
    const store = createMemoryStore();
    const stream = startNoteStream({
      store,
      room: "r",
      afterId: 0,
      sink: recordingSink().sink,
      bufferLimit: 2,
    });
    await store.listAfter("r", 0, 1);

    await store.close();

    expect(await stream.done).toEqual({ kind: "lost", reason: "store closed" });
  });
});
