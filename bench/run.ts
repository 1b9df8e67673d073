import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  type BenchReport,
  type BenchSection,
  machine,
  toMarkdown,
  writeIntoReadme,
  writeReport,
} from "./report.ts";

/**
 * `npm run bench`: runs every benchmark in one process on one machine, so ratios compare
 * like with like, then writes bench/results/bench.{json,md} and the README's table.
 * `--quick` shortens each run (for a smoke check); `--only <id>` runs one benchmark.
 */
type Bench = { id: string; module: string };

const benches: Bench[] = [
  { id: "webhook", module: "./webhook.ts" },
  { id: "deploy", module: "./deploy.ts" },
  { id: "push-to-rollout", module: "./push-to-rollout.ts" },
  { id: "chat-fanout", module: "./chat-fanout.ts" },
];

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    "no-readme": { type: "boolean", default: false },
  },
});

const sections: BenchSection[] = [];
for (const bench of benches) {
  if (values.only && values.only !== bench.id) continue;
  const started = Date.now();
  process.stderr.write(`bench: ${bench.id}…\n`);
  // Other work shares this machine: each section says how busy it was when it started.
  const loadAverage = loadavg()[0] ?? 0;
  sections.push(
    ...runInItsOwnProcess(bench.module, values.quick).map((s) => ({ ...s, loadAverage })),
  );
  process.stderr.write(
    `bench: ${bench.id} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
}

const report: BenchReport = { generatedAt: new Date().toISOString(), machine: machine(), sections };
const resultsDir = join(import.meta.dirname, "results");
const markdown = writeReport(resultsDir, values.only ? `bench-${values.only}` : "bench", report);
const readme = join(import.meta.dirname, "..", "README.md");
if (!values.only && !values["no-readme"]) {
  writeIntoReadme(readme, "bench", markdown);
  writeIntoReadme(readme, "drills", drillMarkdown());
}
process.stdout.write(`${markdown}\n`);

/** The drills' long-form results (`npm run drill:long` writes bench/results/drill-*.json). */
function drillMarkdown(): string {
  const files = existsSync(resultsDir)
    ? readdirSync(resultsDir).filter((f) => f.startsWith("drill-") && f.endsWith(".json"))
    : [];
  if (files.length === 0) return "No drill results yet: run `npm run drill:long`.";
  return files
    .sort()
    .map((f) => toMarkdown(JSON.parse(readFileSync(join(resultsDir, f), "utf8")) as BenchReport))
    .join("\n");
}

function runInItsOwnProcess(module: string, quick: boolean): BenchSection[] {
  const dir = mkdtempSync(join(tmpdir(), "slipway-bench-"));
  const resultFile = join(dir, "result.json");
  try {
    execFileSync(
      process.execPath,
      [join(import.meta.dirname, "run-one.ts"), module, resultFile, ...(quick ? ["--quick"] : [])],
      // The handlers log JSON to stdout; keep it off this process's report.
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    return JSON.parse(readFileSync(resultFile, "utf8")) as BenchSection[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
