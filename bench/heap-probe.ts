import { setTimeout as delay } from "node:timers/promises";
import { getHeapSpaceStatistics, getHeapStatistics } from "node:v8";

/**
 * The fan-out bench's window into a server process's heap, loaded before the server's own
 * entry with `node --expose-gc --import bench/heap-probe.ts <server>` (bench/chat-server-process.ts).
 * On a `heap-probe` message over the IPC channel it runs full GCs and answers with V8's heap
 * statistics and the RSS after them.
 *
 * A preload rather than a handler in the server: production starts `src/chat-main.ts` without
 * it, so no message handler, no IPC channel and no exposed `gc` exists there, and nothing has
 * to be gated behind a bench-only variable that a deployment could set by mistake.
 */
export type HeapProbe = {
  /**
   * V8's young generation (new space, committed) before the GCs, as the server ran. Read first
   * because a full GC promotes every young object, which V8 counts as survivors and may answer
   * by doubling the young generation: the probe itself must not be what grew it.
   */
  youngGenerationBytes: number;
  /** V8 heap in use after the GCs: live objects (and what a full GC could not free). */
  heapUsedBytes: number;
  /** Memory V8 holds for its heap (committed pages), used or not. */
  heapCommittedBytes: number;
  /** Resident set size after the GCs. */
  rssBytes: number;
  /** Memory of C++ objects bound to JS objects (Buffers included). */
  externalBytes: number;
  arrayBuffersBytes: number;
  /** What V8 itself allocated with malloc (not the heap). */
  mallocedBytes: number;
  /** Per heap space (new, old, code, large objects…): committed and used bytes. */
  spaces: Record<string, { committedBytes: number; usedBytes: number }>;
};

/**
 * What the bench sends to ask, and the key of the answer. A type, so the bench imports this
 * module for types only and never runs it in its own process.
 */
export type HeapProbeRequest = "heap-probe";
export type HeapProbeAnswer = { "heap-probe": HeapProbe };

type Gc = (options?: { type?: "major" | "minor"; execution?: "sync" | "async" }) => void;

async function probe(): Promise<HeapProbe> {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (gc === undefined) throw new Error("heap-probe needs node --expose-gc");
  const young = getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
  // A second full GC frees what the first only finalised (weak callbacks, FinalizationRegistry);
  // the pause lets V8's background threads finish sweeping and hand empty pages back.
  gc({ type: "major", execution: "sync" });
  await delay(100);
  gc({ type: "major", execution: "sync" });
  await delay(100);
  const heap = getHeapStatistics();
  const memory = process.memoryUsage();
  return {
    youngGenerationBytes: young?.space_size ?? 0,
    heapUsedBytes: heap.used_heap_size,
    heapCommittedBytes: heap.total_heap_size,
    rssBytes: memory.rss,
    externalBytes: memory.external,
    arrayBuffersBytes: memory.arrayBuffers,
    mallocedBytes: heap.malloced_memory,
    spaces: Object.fromEntries(
      getHeapSpaceStatistics().map((s) => [
        s.space_name,
        { committedBytes: s.space_size, usedBytes: s.space_used_size },
      ]),
    ),
  };
}

if (process.send === undefined) throw new Error("heap-probe needs an IPC channel (stdio 'ipc')");
const request: HeapProbeRequest = "heap-probe";
process.on("message", (message: unknown) => {
  if (message !== request) return;
  void probe().then((figures) => process.send?.({ [request]: figures } satisfies HeapProbeAnswer));
});
// The channel must not keep the process alive, so a server still exits as it does without it.
process.channel?.unref();
