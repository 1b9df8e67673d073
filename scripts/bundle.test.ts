import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { functionUrlDelivery, githubPayload } from "../test/events/github/fixtures.ts";
import { bundleFunctions, functionNames } from "./bundle.ts";

const outDir = mkdtempSync(join(tmpdir(), "slipway-bundle-"));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe("bundleFunctions", () => {
  it("finds every handler in functions/ and no test files", () => {
    expect(functionNames()).toContain("webhook");
    expect(functionNames().some((name) => name.endsWith(".test"))).toBe(false);
  });

  it("bundles the webhook into one ESM file that loads alone and answers a forged request with 401", async () => {
    // Prepare
    const [webhook] = await bundleFunctions({ names: ["webhook"], outDir });
    const event = functionUrlDelivery({
      event: "push",
      deliveryId: "5b1f6c3e-8e2a-4c47-9d3b-2f1e0a9c7d64",
      body: githubPayload("push-branch"),
      secret: "not-the-configured-secret",
    });
    const script = `const { handler } = await import(${JSON.stringify(pathToFileURL(webhook?.outfile ?? "").href)});
      const answer = await handler(JSON.parse(process.env.EVENT));
      process.stdout.write("ANSWER " + JSON.stringify(answer) + "\\n");`;

    // Act: a fresh Node with nothing but the bundle, as Lambda would load it.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--input-type=module", "-e", script],
      {
        cwd: outDir,
        env: {
          PATH: process.env.PATH,
          EVENT: JSON.stringify(event),
          WEBHOOK_SECRET: "the-configured-webhook-secret",
          GITHUB_TOKEN: "ghp_bundle_smoke_test",
          LEDGER_TABLE: "slipway-ledger",
          STAGE_CONFIG: JSON.stringify({
            stages: [
              {
                name: "production",
                service: "chat",
                repository: { fullName: "Codertocat/Hello-World", id: 186853002 },
                branches: ["master"],
                codebuildProject: "slipway-production",
                imageRepository: "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-production",
                deployments: [{ namespace: "chat", name: "chat-server", container: "server" }],
              },
            ],
          }),
          AWS_REGION: "eu-west-1",
          POWERTOOLS_LOG_LEVEL: "SILENT",
          POWERTOOLS_METRICS_DISABLED: "true",
        },
      },
    );

    // Assess
    const answer = JSON.parse(stdout.split("ANSWER ")[1] ?? "{}");
    expect(answer.statusCode).toBe(401);
    const head = readFileSync(webhook?.outfile ?? "", "utf8").slice(0, 120);
    expect(head).toMatch(/^import \{ createRequire as __createRequire \} from "node:module";/);
    expect(webhook?.bytes).toBeGreaterThan(100_000);
    // The webhook carries no Kubernetes client: the wiring's deploy side must tree-shake away
    // (each package says `sideEffects: false`), or the bundle more than doubles.
    expect(webhook?.bytes).toBeLessThan(1_500_000);
  }, 120_000); // esbuild over every dependency plus a fresh process: seconds on a busy machine

  it("leaves @kubernetes/client-node and undici out of what a deploy or re-check cold start loads, and out of the webhook's package", async () => {
    // Prepare, Act
    const bundled = await bundleFunctions({ names: ["deploy", "recheck", "webhook"], outDir });

    // Assess: the deployer's Kubernetes calls go over node:http2; client-node reads a
    // kubeconfig file only (a chunk loaded on that path alone).
    const names = (list: Array<{ name: string }>) => list.map((c) => c.name);
    for (const fn of bundled) {
      expect(names(fn.contributors)).not.toContain("@kubernetes/client-node");
      expect(names(fn.contributors)).not.toContain("undici");
    }
    const webhook = bundled.find((fn) => fn.name === "webhook");
    expect(names(webhook?.lazy.contributors ?? [])).not.toContain("@kubernetes/client-node");
  }, 120_000);
});
