import type { HeapProbe } from "./heap-probe.ts";
import type { Measurement } from "./report.ts";

/** A server's heap after forced full GCs, idle and with `subscribers` streams open. */
export type HeapAtCount = { subscribers: number; idle: HeapProbe; open: HeapProbe };

const kibibyte = 1024;
const mebibyte = 1024 * 1024;

const youngGeneration = (p: HeapProbe) => p.spaces.new_space?.committedBytes ?? 0;

/** What a stream adds to `pick`: (with the streams − idle) / streams, in KiB. */
const perStream = (h: HeapAtCount, pick: (p: HeapProbe) => number) =>
  (pick(h.open) - pick(h.idle)) / h.subscribers / kibibyte;

/** The parts RSS after a GC splits into: each row below, and together the RSS row. */
const parts = {
  young: youngGeneration,
  rest: (p: HeapProbe) => p.heapCommittedBytes - youngGeneration(p),
  outside: (p: HeapProbe) => p.rssBytes - p.heapCommittedBytes,
};

/**
 * The memory rows of one server at `heap.subscribers` streams, each with its ratio to bare
 * grpc-js (`baseline`, measured in the same run; undefined for grpc-js's own rows). The RSS
 * after a GC is split so that its three parts add up to it, and a chat server's RSS row says
 * how the KiB above grpc-js's divide between them.
 */
export function heapRows(heap: HeapAtCount, baseline: HeapAtCount | undefined): Measurement[] {
  const n = heap.subscribers;
  const row = (name: string, pick: (p: HeapProbe) => number, note: string): Measurement => {
    const value = perStream(heap, pick);
    const base = baseline === undefined ? undefined : perStream(baseline, pick);
    return {
      name: `${name}, ${n} subscribers`,
      unit: "KiB",
      median: value,
      note,
      ...(base === undefined || base <= 0 || value < 0 ? {} : { ratioToBaseline: value / base }),
    };
  };
  const above = (pick: (p: HeapProbe) => number) =>
    baseline === undefined ? 0 : perStream(heap, pick) - perStream(baseline, pick);
  const split =
    baseline === undefined
      ? ""
      : `; ${above((p) => p.rssBytes).toFixed(1)} KiB above bare grpc-js: young generation ` +
        `${above(parts.young).toFixed(1)}, rest of V8's heap ${above(parts.rest).toFixed(1)}, ` +
        `outside V8's heap ${above(parts.outside).toFixed(1)}`;
  const mib = (bytes: number) => (bytes / mebibyte).toFixed(0);
  return [
    row(
      "live heap per subscriber",
      (p) => p.heapUsedBytes,
      "V8 heap used after forced full GCs, (with N streams − idle) / N: what the streams keep",
    ),
    row(
      "server RSS per subscriber after a full GC",
      (p) => p.rssBytes,
      `(VmRSS after forced full GCs with N streams − the same idle) / N${split}`,
    ),
    row(
      "of which V8's young generation",
      parts.young,
      `new space, committed: ${mib(youngGeneration(heap.idle))} → ${mib(youngGeneration(heap.open))} MiB ` +
        "for the whole process; it doubles while new objects survive scavenges, and full GCs keep it",
    ),
    row(
      "of which the rest of V8's heap",
      parts.rest,
      "old, code and other spaces, committed: the live objects plus free room in their pages",
    ),
    row(
      "of which outside V8's heap",
      parts.outside,
      "RSS − V8's committed heap: nghttp2, Buffers, malloc, less committed pages never touched",
    ),
  ];
}

/** Per-stream change of every heap figure and space, in KiB, for the progress log. */
export function heapChange(heap: HeapAtCount): string {
  const { idle, open } = heap;
  const per = (pick: (p: HeapProbe) => number) => perStream(heap, pick).toFixed(2);
  const spaces = Object.keys(open.spaces)
    .map((name) => {
      const committed = per((p) => p.spaces[name]?.committedBytes ?? 0);
      const used = per((p) => p.spaces[name]?.usedBytes ?? 0);
      return { name, committed, used };
    })
    .filter(({ committed, used }) => Number(committed) !== 0 || Number(used) !== 0)
    .map(({ name, committed, used }) => `${name} ${committed} committed/${used} used`);
  const figures = [
    `used ${per((p) => p.heapUsedBytes)}`,
    `committed ${per((p) => p.heapCommittedBytes)}`,
    `rss ${per((p) => p.rssBytes)}`,
    `external ${per((p) => p.externalBytes)}`,
    `malloced ${per((p) => p.mallocedBytes)}`,
    ...spaces,
  ];
  return `${figures.join(", ")} KiB per stream; idle rss ${(idle.rssBytes / mebibyte).toFixed(1)} MiB`;
}
