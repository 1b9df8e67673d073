import { writeFileSync } from "node:fs";

/**
 * Runs one benchmark in a process of its own (bench/run.ts starts one per benchmark), so no
 * module state, such as a handler's once-per-container config, leaks from one into the next.
 * Usage: node bench/run-one.ts <module> <result.json> [--quick]
 */
const [module, resultFile, ...flags] = process.argv.slice(2);
if (!module || !resultFile)
  throw new Error("usage: node bench/run-one.ts <module> <result.json> [--quick]");
const bench = (await import(new URL(module, import.meta.url).href)) as {
  run(options: { quick: boolean }): Promise<unknown[]>;
};
writeFileSync(resultFile, JSON.stringify(await bench.run({ quick: flags.includes("--quick") })));
// A benchmark's servers are stopped by then; anything still holding the loop is not ours to wait for.
process.exit(0);
