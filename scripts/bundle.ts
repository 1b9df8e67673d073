import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { build, type Metafile, type Plugin } from "esbuild";

const root = join(import.meta.dirname, "..");

/** One bundled function and what it weighs. */
export type BundledFunction = {
  name: string;
  /** `dist/functions/<name>/index.mjs`, the file infra deploys (handler `index.handler`). */
  outfile: string;
  /** What a cold start loads: the entry and every chunk it imports statically. */
  bytes: number;
  gzipBytes: number;
  /** Bytes of what a cold start loads, by package (`node_modules/…`) or workspace folder, largest first. */
  contributors: Array<{ name: string; bytes: number }>;
  /** Chunks only a dynamic `import()` loads (code some events need), with what they carry. */
  lazy: { bytes: number; contributors: Array<{ name: string; bytes: number }> };
};

/** The package (or workspace folder) an esbuild input path belongs to. */
export function packageOf(input: string): string {
  const inModules = input.lastIndexOf("node_modules/");
  if (inModules >= 0) {
    const parts = input.slice(inModules + "node_modules/".length).split("/");
    return parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] ?? input);
  }
  const [top, second] = input.split("/");
  return top === "packages" || top === "functions" ? `${top}/${second}` : (top ?? input);
}

/** The Lambda entry points: every `functions/<name>/handler.ts`. */
export function functionNames(): string[] {
  return readdirSync(join(root, "functions"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .filter((entry) => existsSync(join(root, "functions", entry.name, "handler.ts")))
    .map((entry) => entry.name)
    .sort();
}

/**
 * Leaves out the libraries behind client-node features Slipway never uses (exec, cp, SOCKS,
 * OIDC and cloud auth providers); client-node imports them at load, so esbuild cannot.
 */
const kubeClientWithoutExtras: Plugin = {
  name: "kube-client-without-extras",
  setup(plugin) {
    plugin.onResolve(
      { filter: /^(isomorphic-ws|socks|tar-fs|openid-client|jsonpath-plus)$/ },
      (args) =>
        /[\\/]node_modules[\\/]@kubernetes[\\/]client-node[\\/]/.test(args.importer)
          ? { path: join(root, "scripts", "bundle-stubs", "left-out.ts") }
          : undefined,
    );
  },
};

/**
 * Bundles each function into minified ESM for Lambda's nodejs24.x runtime, with everything
 * inside (the AWS SDK too, so the deployed code is the tested code): `index.mjs`, plus a chunk
 * for each dynamic `import()` (code splitting, as infra's `nodejs.splitting` does), which a
 * cold start does not load. The banner gives ESM a `require`, which CommonJS dependencies
 * bundled into ESM still call.
 */
export async function bundleFunctions(
  options: { names?: readonly string[]; outDir?: string } = {},
): Promise<BundledFunction[]> {
  const names = options.names?.length ? options.names : functionNames();
  const outDir = options.outDir ?? join(root, "dist", "functions");
  const bundled: BundledFunction[] = [];
  for (const name of names) {
    const outfile = join(outDir, name, "index.mjs");
    rmSync(join(outDir, name), { recursive: true, force: true });
    mkdirSync(join(outDir, name), { recursive: true });
    const result = await build({
      entryPoints: { index: join(root, "functions", name, "handler.ts") },
      outdir: join(outDir, name),
      outExtension: { ".js": ".mjs" },
      chunkNames: "chunks/[name]-[hash]",
      splitting: true,
      bundle: true,
      platform: "node",
      target: "node24",
      format: "esm",
      minify: true,
      // ESM builds of dependencies tree-shake better than their CommonJS ones.
      mainFields: ["module", "main"],
      banner: {
        js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
      },
      logLevel: "warning",
      metafile: true,
      plugins: [kubeClientWithoutExtras],
    });
    const outputs = result.metafile.outputs;
    const key = (file: string) => relative(process.cwd(), file).split("\\").join("/");
    const eager = staticClosure(outputs, key(outfile));
    const lazy = Object.keys(outputs).filter((file) => !eager.has(file) && !file.endsWith(".map"));
    bundled.push({
      name,
      outfile,
      bytes: [...eager].reduce((sum, file) => sum + (outputs[file]?.bytes ?? 0), 0),
      gzipBytes: gzipSync(Buffer.concat([...eager].map((file) => readFileSync(file)))).length,
      contributors: byPackage(outputs, [...eager]),
      lazy: {
        bytes: lazy.reduce((sum, file) => sum + (outputs[file]?.bytes ?? 0), 0),
        contributors: byPackage(outputs, lazy),
      },
    });
  }
  return bundled;
}

type Outputs = Metafile["outputs"];

/** The output file and every chunk it imports statically, transitively: what loading it loads. */
function staticClosure(outputs: Outputs, entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || outputs[file] === undefined) return;
    seen.add(file);
    for (const imported of outputs[file]?.imports ?? []) {
      if (imported.kind === "import-statement" && !imported.external) visit(imported.path);
    }
  };
  visit(entry);
  return seen;
}

/** Bytes of the given output files by package or workspace folder, largest first. */
function byPackage(
  outputs: Outputs,
  files: readonly string[],
): Array<{ name: string; bytes: number }> {
  const sums = new Map<string, number>();
  for (const file of files) {
    for (const [input, { bytesInOutput }] of Object.entries(outputs[file]?.inputs ?? {})) {
      const name = packageOf(input);
      sums.set(name, (sums.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...sums].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

if (import.meta.main) {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { json: { type: "boolean", default: false } },
  });
  const bundled = await bundleFunctions({ names: positionals });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(bundled, null, 2)}\n`);
  } else {
    for (const fn of bundled) {
      process.stdout.write(
        `${fn.name.padEnd(16)} ${kib(fn.bytes).padStart(12)} (gzip ${kib(fn.gzipBytes)})  ${relative(root, fn.outfile)}\n`,
      );
      for (const { name, bytes } of fn.contributors.slice(0, 8)) {
        process.stdout.write(`  ${name.padEnd(40)} ${kib(bytes).padStart(12)}\n`);
      }
      if (fn.lazy.bytes > 0) {
        process.stdout.write(`  loaded only by a dynamic import: ${kib(fn.lazy.bytes)}\n`);
        for (const { name, bytes } of fn.lazy.contributors.slice(0, 4)) {
          process.stdout.write(`    ${name.padEnd(38)} ${kib(bytes).padStart(12)}\n`);
        }
      }
    }
  }
}
