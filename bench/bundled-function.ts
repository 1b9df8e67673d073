import { execFile } from "node:child_process";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { bundleFunctions } from "../scripts/bundle.ts";
import { type BenchSection, median, percentile, targetNote } from "./report.ts";

/**
 * Bundles one function as Lambda ships it and measures its size and cold import: the module's
 * own load and init (config, clients; no network) in a fresh Node process, a proxy for Lambda's
 * init phase without Node's start-up.
 */
export async function bundledFunctionSection(options: {
  name: string;
  /** What the bundle carries, for the method text. */
  contents: string;
  /** The environment its config needs to load (placeholders; nothing is called). */
  env: Record<string, string>;
  quick: boolean;
  /** Issue 19's targets: what a cold start loads, in KiB, and its import median. */
  targets: { kib: number; coldImportMs: number };
}): Promise<BenchSection> {
  const [bundled] = await bundleFunctions({ names: [options.name] });
  if (bundled === undefined) throw new Error(`the ${options.name} function did not bundle`);
  const url = pathToFileURL(bundled.outfile).href;
  const script = `const t = performance.now(); await import(${JSON.stringify(url)}); process.stdout.write(String(performance.now() - t));`;
  const imports: number[] = [];
  for (let i = 0; i < (options.quick ? 3 : 15); i++) {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--input-type=module", "-e", script],
      { env: { PATH: process.env.PATH, ...options.env } },
    );
    imports.push(Number(stdout));
  }
  return {
    id: `${options.name}-bundle`,
    title: `Bundled ${options.name} function`,
    method:
      `\`scripts/bundle.ts\`: esbuild, minified ESM for Node 24, every dependency inside (${options.contents}), split so that ` +
      "what a dynamic `import()` loads sits in chunks of its own. Cold import is the module's own load and init " +
      "(config, clients; no network) in a fresh Node process, without Node's start-up.",
    rows: [
      {
        name: "bundle size",
        unit: "KiB",
        median: bundled.bytes / 1024,
        note: `dist/functions/${options.name}/index.mjs and the chunks it imports; ${targetNote(bundled.bytes / 1024, options.targets.kib, "KiB")}`,
      },
      {
        name: "bundle size, gzip",
        unit: "KiB",
        median: bundled.gzipBytes / 1024,
        note: "what the deployment zip carries",
      },
      {
        name: "cold import",
        unit: "ms",
        median: median(imports),
        p99: percentile(imports, 99),
        note: `${imports.length} fresh processes; ${targetNote(median(imports), options.targets.coldImportMs, "ms")}`,
      },
      {
        name: "loaded only by a dynamic import",
        unit: "KiB",
        median: bundled.lazy.bytes / 1024,
        note: `shipped, not loaded at a cold start: ${
          bundled.lazy.contributors
            .slice(0, 3)
            .map((c) => `${c.name} ${(c.bytes / 1024).toFixed(0)} KiB`)
            .join(", ") || "nothing"
        }`,
      },
      // What each byte buys: esbuild's metafile, by package, largest first.
      ...bundled.contributors.slice(0, 6).map((c) => ({
        name: `of which ${c.name}`,
        unit: "KiB",
        median: c.bytes / 1024,
        note: `${((c.bytes / bundled.bytes) * 100).toFixed(0)}% of the bundle (esbuild metafile)`,
      })),
    ],
  };
}
