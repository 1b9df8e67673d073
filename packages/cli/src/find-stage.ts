import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { WorkloadTarget } from "@slipway/core";
import * as z from "@slipway/core/zod";
import type { ClusterAccess } from "@slipway/wiring";

/** One service the stage deploys, as the stage's outputs list it: its name and Deployments. */
export const StageService = z.object({
  name: z.string().check(z.minLength(1)),
  deployments: z.array(WorkloadTarget).check(z.minLength(1)),
  /** The service's ECR repository URI: an unpin that deploys accepts only its digests. */
  registry: z.optional(z.string().check(z.minLength(1))),
});
export type StageService = z.infer<typeof StageService>;

/** What the CLI must know about a stage to reach it. */
export type StageLocation = {
  stage: string;
  /** The ledger's DynamoDB table. */
  table: string;
  region: string;
  /** Undefined when nothing names the cluster: history and trace still work. */
  cluster?: ClusterAccess;
  /** The stage's lifecycle bus, so the CLI's own state changes are published too. */
  lifecycleBus?: string;
  /** The stage's image repository: an unpin that deploys accepts only its digests. */
  registry?: string;
  /** The services the stage deploys (its outputs' `services`); empty when unknown. */
  services: StageService[];
};

/** What the operator passed; each flag overrides what the stage says. */
export type StageFlags = {
  stage?: string | undefined;
  table?: string | undefined;
  region?: string | undefined;
  kubeconfig?: string | undefined;
  cluster?: string | undefined;
  registry?: string | undefined;
};

/** The outputs of the last `sst deploy` in this checkout (`.sst/outputs.json`), as infra names them. */
export type SstOutputs = {
  stage?: string;
  region?: string;
  ledgerTable?: string;
  cluster?: string;
  lifecycleBus?: string;
  /** The stage's ECR repository URI (infra's `registry` output). */
  registry?: string;
  /** Each service the stage deploys; read through `StageService`, never trusted as it is. */
  services?: unknown;
};

/**
 * Finds the stage's ledger table, cluster and region from the stage itself, flags first:
 * then the environment `sst shell --stage <stage>` provides (SST_RESOURCE_App names the
 * stage, SST_RESOURCE_Ledger the table, SST_RESOURCE_Lifecycle the bus) and the usual AWS
 * and Kubernetes variables, then
 * the outputs `sst deploy` wrote for that same stage. Returns what is still missing instead
 * of guessing.
 */
export function findStage(
  flags: StageFlags,
  env: NodeJS.ProcessEnv,
  readOutputs: () => SstOutputs | undefined = () => outputsNear(process.cwd()),
): StageLocation | { missing: string[] } {
  const app = linked(env, "App");
  const stage = flags.stage ?? text(app?.stage);
  if (stage === undefined) return { missing: ["--stage (or run inside `sst shell --stage …`)"] };
  const all = readOutputs();
  // Outputs describe the last deploy from this checkout, which may be another stage.
  const outputs = all?.stage === stage ? all : undefined;
  const table =
    flags.table ??
    env.SLIPWAY_LEDGER_TABLE ??
    text(linked(env, "Ledger")?.name) ??
    outputs?.ledgerTable;
  if (table === undefined) {
    return {
      missing: [`--table (the ${stage} ledger; or run inside \`sst shell --stage ${stage}\`)`],
    };
  }
  const region =
    flags.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? outputs?.region ?? "us-east-1";
  const cluster = clusterOf(flags, env, outputs, region);
  const lifecycleBus =
    env.LIFECYCLE_BUS_NAME ?? text(linked(env, "Lifecycle")?.name) ?? outputs?.lifecycleBus;
  const registry = flags.registry ?? env.IMAGE_REPOSITORY ?? outputs?.registry;
  const services = z.array(StageService).safeParse(outputs?.services ?? []);
  return {
    stage,
    table,
    region,
    services: services.success ? services.data : [],
    ...(cluster === undefined ? {} : { cluster }),
    ...(lifecycleBus === undefined ? {} : { lifecycleBus }),
    ...(registry === undefined ? {} : { registry }),
  };
}

/** Your own kubectl identity (a kubeconfig) before an EKS cluster reached with your AWS identity. */
function clusterOf(
  flags: StageFlags,
  env: NodeJS.ProcessEnv,
  outputs: SstOutputs | undefined,
  region: string,
): ClusterAccess | undefined {
  if (flags.kubeconfig) return { kind: "kubeconfig", path: flags.kubeconfig };
  if (flags.cluster) return { kind: "eks", name: flags.cluster, region };
  if (env.KUBECONFIG) return { kind: "kubeconfig", path: env.KUBECONFIG };
  const name = env.EKS_CLUSTER_NAME ?? outputs?.cluster;
  return name === undefined ? undefined : { kind: "eks", name, region };
}

/** `.sst/outputs.json` in this folder or the nearest parent that has one. */
export function outputsNear(start: string): SstOutputs | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    const file = join(dir, ".sst", "outputs.json");
    if (existsSync(file)) {
      try {
        return JSON.parse(readFileSync(file, "utf8")) as SstOutputs;
      } catch {
        return undefined;
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** A resource `sst shell` links into the environment as SST_RESOURCE_<name> (JSON). */
function linked(env: NodeJS.ProcessEnv, name: string): Record<string, unknown> | undefined {
  const value = env[`SST_RESOURCE_${name}`];
  if (value === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === "object" && parsed !== null
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);
