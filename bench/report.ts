import { readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";

/** One measured figure. Medians over repeated runs; a ratio only against a baseline of the same run. */
export type Measurement = {
  name: string;
  unit: string;
  median: number;
  p99?: number;
  /** What the figure means, in a few words, for the README. */
  note?: string;
  /** Our median divided by the baseline's, measured in the same run on the same machine. */
  ratioToBaseline?: number;
};

export type BenchSection = {
  id: string;
  title: string;
  /** What was measured and how, in one or two sentences. */
  method: string;
  baseline?: string;
  rows: Measurement[];
  /** A generated chart shown under the table: a path from the repository root. */
  chart?: { path: string; alt: string };
  /** The machine's 1-minute load average when the benchmark started (bench/run.ts sets it). */
  loadAverage?: number;
};

export type BenchReport = {
  generatedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string };
  sections: BenchSection[];
};

/** "target ≤ 512 KiB: met" (or "not met"), for a row's note. */
export function targetNote(value: number, limit: number, unit: string, relation = "≤"): string {
  const met = relation.includes("<") && !relation.includes("≤") ? value < limit : value <= limit;
  return `target ${relation} ${limit} ${unit}: ${met ? "met" : "not met"}`;
}

/** Nearest-rank percentile of a sample; `p` in [0, 100]. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export const median = (samples: readonly number[]) => percentile(samples, 50);

export function machine(): BenchReport["machine"] {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
}

const round = (value: number) =>
  Math.abs(value) >= 100
    ? value.toFixed(0)
    : Math.abs(value) >= 10
      ? value.toFixed(1)
      : value.toFixed(2);

export function toMarkdown(report: BenchReport): string {
  const { machine: m } = report;
  const lines = [
    `Measured ${report.generatedAt.slice(0, 10)} on ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}. ` +
      "Absolute times on a shared 2-core machine are noisy; compare ratios within one run.",
    "",
  ];
  for (const section of report.sections) {
    const load =
      section.loadAverage === undefined
        ? ""
        : ` Load average when it ran: ${section.loadAverage.toFixed(2)} on ${m.cpus} cores.`;
    lines.push(`#### ${section.title}`, "", `${section.method}${load}`, "");
    if (section.baseline) lines.push(`Baseline: ${section.baseline}`, "");
    lines.push(
      "| measurement | median | p99 | unit | vs baseline | meaning |",
      "| --- | ---: | ---: | --- | ---: | --- |",
    );
    for (const row of section.rows) {
      lines.push(
        `| ${row.name} | ${round(row.median)} | ${row.p99 === undefined ? "" : round(row.p99)} | ${row.unit} | ${
          row.ratioToBaseline === undefined ? "" : `${row.ratioToBaseline.toFixed(2)}×`
        } | ${row.note ?? ""} |`,
      );
    }
    lines.push("");
    if (section.chart) lines.push(`![${section.chart.alt}](${section.chart.path})`, "");
  }
  return lines.join("\n");
}

/** Replaces the text between `<!-- name:start -->` and `<!-- name:end -->` in the README. */
export function writeIntoReadme(readmePath: string, marker: string, markdown: string): void {
  const readme = readFileSync(readmePath, "utf8");
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README lacks the ${start} … ${end} markers`);
  writeFileSync(
    readmePath,
    `${readme.slice(0, from + start.length)}\n${markdown}\n${readme.slice(to)}`,
  );
}

export function writeReport(dir: string, name: string, report: BenchReport): string {
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  const markdown = toMarkdown(report);
  writeFileSync(join(dir, `${name}.md`), `${markdown}\n`);
  return markdown;
}
