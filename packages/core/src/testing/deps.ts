import { createFakeBuilds, createMemoryRegistry } from "@slipway/aws/testing";
import { createFakeGitHub } from "@slipway/github/testing";
import { createMemoryWorkloads } from "@slipway/kube/testing";
import { createMemoryLedger, digestImage } from "@slipway/ledger/testing";
import type { DeployTarget } from "../model/deploy-target.ts";
import { StageConfig, type WorkloadTarget } from "../model/stage-config.ts";
import type { DiagnosticLog } from "../ports/diagnostic-log.ts";
import type { Ledger } from "../ports/ledger.ts";

/** The Deployments most core tests deploy to: the chat server and the web client. */
export const server: WorkloadTarget = {
  namespace: "chat",
  name: "chat-server",
  container: "server",
};
export const web: WorkloadTarget = { namespace: "chat", name: "chat-web", container: "web" };
/** The stage's image repository: digestImage's default, so every test image is the stage's own. */
export const imageRepository = "registry.example.test/slipway-chat";
/** The repository of GitHub's own push examples (test/events/github). */
export const repository = { fullName: "Codertocat/Hello-World", id: 186853002 };
/** What every Deployment runs before a test deploys anything. */
export const bootImage = digestImage(0xb007);

export type DepsOptions = {
  /** The deploy side's stage; default `dev` with the chat server and web client. */
  target?: Partial<DeployTarget>;
  /** The push side's stages; default one `production` stage on `master`. */
  stages?: Partial<StageConfig["stages"][number]>;
  now?: Date;
  rolloutTimeoutMs?: number;
  /** What every Deployment runs at the start; default `bootImage`. */
  bootImage?: string;
};

/**
 * The one builder of core's dependencies for core's tests: each port backed by the double
 * that lives beside its adapter, a settable clock, no waiting, and the warnings it logged.
 * The result satisfies both the push side's and the deploy side's deps.
 */
export function deps(options: DepsOptions = {}) {
  let clock = (options.now ?? new Date("2026-11-26T10:15:00.000Z")).getTime();
  const warnedWith: { message: string; attributes?: Record<string, unknown> }[] = [];
  const warnings: string[] = [];
  const log: DiagnosticLog = {
    info: () => {},
    warn: (message, attributes) => {
      warnings.push(message);
      warnedWith.push({ message, ...(attributes ? { attributes } : {}) });
    },
  };
  const memory = createMemoryLedger();
  const target: DeployTarget = {
    stage: "dev",
    service: "chat",
    deployments: [server, web],
    production: false,
    imageRepository,
    ...options.target,
  };
  const workloads = createMemoryWorkloads();
  for (const deployment of target.deployments) {
    workloads.add(deployment, options.bootImage ?? bootImage);
  }
  const built = {
    ledger: memory as Ledger,
    builds: createFakeBuilds(),
    // Holds every image but those a test deletes, so only the registry's own tests think of it.
    registry: createMemoryRegistry({ holdsEverything: true }),
    github: createFakeGitHub(),
    workloads,
    target,
    config: StageConfig.parse({
      stages: [
        {
          name: "production",
          service: "chat",
          // The repository of GitHub's own push examples (test/events/github).
          repository,
          branches: ["master"],
          codebuildProject: "slipway-production",
          deployments: [server],
          imageRepository,
          ...options.stages,
        },
      ],
    }),
    log,
    now: () => new Date(clock),
    sleep: async () => {},
    random: () => 0,
    rolloutTimeoutMs: options.rolloutTimeoutMs ?? 1_000,
  };
  return {
    deps: built,
    /** The memory ledger underneath, with the adapter-only methods tests inspect. */
    memory,
    ...built,
    /** The messages warned, in order; `warnedWith` adds their attributes. */
    warnings,
    warnedWith,
    advance: (ms: number) => {
      clock += ms;
    },
    setNow: (at: Date) => {
      clock = at.getTime();
    },
  };
}
