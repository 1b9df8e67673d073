import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { build, type Plugin } from "esbuild";

const root = join(import.meta.dirname, "..");

/** One bundled function and what it weighs. */
export type BundledFunction = {
  name: string;
  /** `dist/functions/<name>/index.mjs`, the file infra deploys (handler `index.handler`). */
  outfile: string;
  bytes: number;
  gzipBytes: number;
  /** Bytes of the output by package (`node_modules/…`) or workspace folder, largest first. */
  contributors: Array<{ name: string; bytes: number }>;
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
 * Replaces zod's `export * as locales` (every translation of its messages) with an empty
 * module; the English messages the code and tests rely on come from `locales/en.js`, which
 * zod imports on its own and which stays.
 */
const zodWithoutLocales: Plugin = {
  name: "zod-without-locales",
  setup(plugin) {
    plugin.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: join(root, "scripts", "bundle-stubs", "zod-locales.ts") }
        : undefined,
    );
  },
};

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
 * Bundles each function into one minified ESM file for Lambda's nodejs24.x runtime, with
 * everything inside (the AWS SDK too, so the deployed code is the tested code). The banner
 * gives ESM a `require`, which CommonJS dependencies bundled into ESM still call.
 */
export async function bundleFunctions(
  options: { names?: readonly string[]; outDir?: string } = {},
): Promise<BundledFunction[]> {
  const names = options.names?.length ? options.names : functionNames();
  const outDir = options.outDir ?? join(root, "dist", "functions");
  const bundled: BundledFunction[] = [];
  for (const name of names) {
    const outfile = join(outDir, name, "index.mjs");
    mkdirSync(join(outDir, name), { recursive: true });
    const result = await build({
      entryPoints: [join(root, "functions", name, "handler.ts")],
      outfile,
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
      plugins: [zodWithoutLocales, kubeClientWithoutExtras],
    });
    const byPackage = new Map<string, number>();
    for (const output of Object.values(result.metafile.outputs)) {
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
        const name = packageOf(input);
        byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
      }
    }
    bundled.push({
      name,
      outfile,
      bytes: statSync(outfile).size,
      gzipBytes: gzipSync(readFileSync(outfile)).length,
      contributors: [...byPackage]
        .map(([name, bytes]) => ({ name, bytes }))
        .sort((a, b) => b.bytes - a.bytes),
    });
  }
  return bundled;
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
    }
  }
}
