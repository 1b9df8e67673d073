import { describe, expect, it } from "vitest";
import { percentile, toMarkdown } from "./report.ts";

describe("bench report", () => {
  it("takes nearest-rank percentiles", () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it("renders every section as a table with ratios", () => {
    const markdown = toMarkdown({
      generatedAt: "2026-11-26T00:00:00.000Z",
      machine: { cpus: 2, cpuModel: "cpu", memoryGiB: 24, node: "v24.21.0" },
      sections: [
        {
          id: "x",
          title: "Fan-out",
          method: "Sends at a fixed rate.",
          baseline: "bare grpc-js",
          loadAverage: 1.5,
          chart: { path: "bench/results/x.svg", alt: "the curve" },
          rows: [
            {
              name: "1 subscriber",
              unit: "msg/s",
              median: 1234.5,
              p99: 2000,
              ratioToBaseline: 0.8123,
            },
          ],
        },
      ],
    });
    expect(markdown).toContain("#### Fan-out");
    expect(markdown).toContain("Sends at a fixed rate. Load average when it ran: 1.50 on 2 cores.");
    expect(markdown).toContain("![the curve](bench/results/x.svg)");
    expect(markdown).toContain("| 1 subscriber | 1235 | 2000 | msg/s | 0.81× |  |");
  });
});
