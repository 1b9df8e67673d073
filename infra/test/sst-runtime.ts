import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/**
 * Loads SST's real components under Pulumi's runtime mocks, the way `sst deploy` loads
 * them: `$app`, `$cli` and `$dev` first (SST reads them at import), then the shim that
 * provides `$interpolate` and friends, then the components and providers as globals.
 *
 * SST's Function asks the CLI to bundle its handler over a local RPC; a stand-in answers
 * with an empty bundle, since these tests check the resource graph, not the code.
 */
const root = resolve(import.meta.dirname, "../..");
const platform = join(root, ".sst/platform");

export async function loadSstRuntime(stage: string): Promise<void> {
  const globals = globalThis as Record<string, unknown>;
  globals.$app = { name: "slipway", stage, removal: "remove", protect: false, providers: {} };
  globals.$dev = false;
  globals.$cli = {
    command: "deploy",
    rpc: "",
    paths: { home: tmpdir(), root, work: join(root, ".sst"), platform },
    state: { version: {} },
  };
  process.env.SST_SERVER = await startCliStandIn();
  // What `sst secret set` would have stored; values never matter to the graph.
  process.env.SST_SECRET_GithubWebhookSecret = "graph-test-placeholder";

  const shim = await import("../../.sst/platform/src/shim/run.js");
  Object.assign(globals, shim);
  // What sst.config.ts's app() decides for the stage, before the components read $app.
  const config = (await import("../../sst.config.ts")) as {
    default: { app(input: { stage: string }): Promise<{ removal: string; protect: boolean }> };
  };
  const { removal, protect } = await config.default.app({ stage });
  globals.$app = { name: "slipway", stage, removal, protect, providers: {} };
  globals.sst = await import("../../.sst/platform/src/components/index.ts");
  globals.aws = await import("@pulumi/aws");
  globals.random = await import("@pulumi/random");
}

let cliStandIn: Promise<string> | undefined;

/**
 * The resources each function links, by its SST name, as SST asks the CLI to bundle them
 * (the links travel in the bundle, so the Lambda's own inputs never show them).
 */
export const linkedResources = new Map<string, string[]>();

function startCliStandIn(): Promise<string> {
  cliStandIn ??= new Promise((resolveUrl) => {
    const bundle = mkdtempSync(join(tmpdir(), "slipway-sst-bundle-"));
    writeFileSync(join(bundle, "index.mjs"), "export const handler = () => {};\n");
    const server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        const { method, params } = JSON.parse(body) as {
          method: string;
          params?: Array<{ functionID?: string; links?: Record<string, unknown> }>;
        };
        const build = params?.[0];
        if (method === "Runtime.Build" && build?.functionID) {
          linkedResources.set(build.functionID, Object.keys(build.links ?? {}).sort());
        }
        const result =
          method === "Runtime.Build"
            ? { handler: "index.handler", out: bundle, errors: [], sourcemaps: [] }
            : {};
        response.setHeader("content-type", "application/json");
        // One request per connection: a kept-alive socket that the server times out (5 s by
        // default) while SST reuses it is an ECONNRESET on a loaded machine.
        response.setHeader("connection", "close");
        response.end(JSON.stringify({ result, error: null }));
      });
    });
    server.unref();
    server.listen(0, "127.0.0.1", () => {
      resolveUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
  return cliStandIn;
}
