import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { type RecordedResource, recordResources, runProgram, settle } from "./pulumi-mocks.ts";
import { loadSstRuntime } from "./sst-runtime.ts";

/**
 * Runs `sst.config.ts`'s `run()` for a stage under Pulumi mocks and returns every resource it
 * would create. Uses the kubectl built by the test harness when present (matching 1.35 kustomize).
 */
export async function deployStage(stage: string): Promise<RecordedResource[]> {
  // Required by infra; a fork would set its own.
  process.env.SLIPWAY_GITHUB_REPOSITORY ??= "acme/chat";
  process.env.SLIPWAY_GITHUB_REPOSITORY_ID ??= "186853002";
  const kubectlDir = join(
    process.env.SLIPWAY_CACHE ?? join(homedir(), ".cache/slipway"),
    "kube/v1.35.4/bin",
  );
  if (existsSync(join(kubectlDir, "kubectl")))
    process.env.PATH = `${kubectlDir}:${process.env.PATH}`;
  await loadSstRuntime(stage);
  const resources = recordResources(stage);
  const config = (await import("../../sst.config.ts")) as {
    default: { run(): Promise<Record<string, unknown>> };
  };
  await runProgram(() => config.default.run());
  await settle();
  return resources;
}
