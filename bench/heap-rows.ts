import type { HeapProbe } from "./heap-probe.ts";
import type { Measurement } from "./report.ts";

/** A server's heap after forced full GCs, idle and with `subscribers` streams open. */
export type HeapAtCount = { subscribers: number; idle: HeapProbe; open: HeapProbe };

const kibibyte = 1024;
const mebibyte = 1024 * 1024;

/** What a stream adds to `pick`: (with the streams − idle) / streams, in KiB. */
const perStream = (h: HeapAtCount, pick: (p: HeapProbe) => number) =>
  (pick(h.open) - pick(h.idle)) / h.subscribers / kibibyte;

/** The parts the RSS after a GC splits into: each a row below, together the RSS row. */
const parts = {
  young: (p: HeapProbe) => p.youngGenerationBytes,
  live: (p: HeapProbe) => p.heapUsedBytes,
  rest: (p: HeapProbe) => p.rssBytes - p.youngGenerationBytes - p.heapUsedBytes,
};

/**
 * The memory rows of one server at `heap.subscribers` streams, each with its ratio to bare
 * grpc-js (`baseline`, measured in the same run; undefined for grpc-js's own rows). The RSS
 * after a GC is split into three parts that add up to it, and a chat server's RSS row says
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
        `${above(parts.young).toFixed(1)}, live heap ${above(parts.live).toFixed(1)}, ` +
        `the rest ${above(parts.rest).toFixed(1)}`;
  const mib = (bytes: number) => (bytes / mebibyte).toFixed(0);
  return [
    row(
      "server RSS per subscriber after a full GC",
      (p) => p.rssBytes,
      `(VmRSS after forced full GCs with N streams − the same idle) / N${split}`,
    ),
    row(
      "of which V8's young generation",
      parts.young,
      `new space, committed, before the GCs: ${mib(heap.idle.youngGenerationBytes)} → ` +
        `${mib(heap.open.youngGenerationBytes)} MiB for the whole process; V8 doubles it while ` +
        "new objects survive scavenges, and a full GC keeps it",
    ),
    row(
      "of which the live heap",
      parts.live,
      "V8 heap used after forced full GCs, (with N streams − idle) / N: the objects the streams keep",
    ),
    row(
      "of which the rest",
      parts.rest,
      "outside V8's heap (nghttp2, Buffers, malloc) and free room in its old-space pages, " +
        "less young-generation pages never touched",
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
