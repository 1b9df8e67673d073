import { describe, expect, it } from "vitest";
import type { HeapProbe } from "./heap-probe.ts";
import { type HeapAtCount, heapRows } from "./heap-rows.ts";

const mib = 1024 * 1024;

function probe(figures: { young: number; used: number; rss: number }): HeapProbe {
  return {
    youngGenerationBytes: figures.young * mib,
    heapUsedBytes: figures.used * mib,
    heapCommittedBytes: (figures.young + figures.used) * mib,
    rssBytes: figures.rss * mib,
    externalBytes: 0,
    arrayBuffersBytes: 0,
    mallocedBytes: 0,
    spaces: {},
  };
}

// 1,024 streams, so each MiB of the process is 1 KiB per stream.
const server: HeapAtCount = {
  subscribers: 1024,
  idle: probe({ young: 16, used: 20, rss: 120 }),
  open: probe({ young: 64, used: 29, rss: 180 }),
};
const grpcJs: HeapAtCount = {
  subscribers: 1024,
  idle: probe({ young: 8, used: 10, rss: 100 }),
  open: probe({ young: 24, used: 16, rss: 130 }),
};

describe("heap rows", () => {
  it("splits the RSS after the GCs into parts that add up to it, each with its ratio", () => {
    const [rss, young, live, rest] = heapRows(server, grpcJs);

    expect(rss).toMatchObject({
      name: "server RSS per subscriber after a full GC, 1024 subscribers",
      median: 60,
      ratioToBaseline: 2,
    });
    expect(young).toMatchObject({ median: 48, ratioToBaseline: 3 });
    expect(live).toMatchObject({ median: 9, ratioToBaseline: 1.5 });
    expect(rest?.median).toBe(3);
    expect((young?.median ?? 0) + (live?.median ?? 0) + (rest?.median ?? 0)).toBe(rss?.median);
    expect(rss?.note).toContain(
      "30.0 KiB above bare grpc-js: young generation 32.0, live heap 3.0, the rest -5.0",
    );
    expect(young?.note).toContain("16 → 64 MiB for the whole process");
  });

  it("gives no ratio to a part that went negative, nor to grpc-js's own rows", () => {
    const [, , , rest] = heapRows(server, grpcJs);
    const own = heapRows(grpcJs, undefined);

    expect(rest?.ratioToBaseline).toBe(0.375);
    expect(
      heapRows({ ...server, open: probe({ young: 64, used: 29, rss: 150 }) }, grpcJs)[3],
    ).not.toHaveProperty("ratioToBaseline");
    expect(own.every((row) => row.ratioToBaseline === undefined)).toBe(true);
  });
});
