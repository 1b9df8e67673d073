import { userInfo } from "node:os";
import { parseArgs } from "node:util";
import {
  type DeployTarget,
  type GitHubReporter,
  type ImageRegistry,
  type Ledger,
  laneName,
  matchTraceQuery,
  type OperatedStage,
  parseWorkloadList,
  pinStage,
  rollbackStage,
  stageStatus,
  traceDeployment,
  unpinStage,
  type Workloads,
  type WorkloadTarget,
} from "@slipway/core";
import {
  type AdapterLog,
  gitHubSettingsIfAny,
  type OperatorSettings,
  unconfiguredGitHub,
  wireOperator,
  withLinkedSecrets,
} from "@slipway/wiring";
import { findStage, type SstOutputs, type StageService } from "./find-stage.ts";
import { type CommandResult, exitCodeOf, present } from "./present.ts";

/**
 * What the commands run against; tests pass their own. `settled` waits for the lifecycle
 * events of the CLI's own state changes.
 */
export type CliDeps = {
  ledger: Ledger;
  workloads: Workloads;
  github?: GitHubReporter;
  /** The stage's image registry, for an unpin that deploys (production wiring: ECR). */
  registry?: ImageRegistry;
  settled?: () => Promise<void>;
};

export type CliIo = {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Replaces the production wiring (tests). */
  connect?: (settings: OperatorSettings, log: AdapterLog) => Promise<CliDeps>;
  /** Replaces the process environment (tests). */
  env?: NodeJS.ProcessEnv;
  /** Replaces `.sst/outputs.json` near the working folder (tests). */
  outputs?: () => SstOutputs | undefined;
};

const usage = `usage: slipway <history|status|rollback> [--stage <stage>] [--service <name>] [options]
       slipway <pin|unpin> [--stage <stage>] [--service <name>] [options]
       slipway trace <commit | delivery id> [--stage <stage>] [--service <name>] [--json]
  history   the stage's deployments, newest first (--limit N)
  status    what the stage runs now: each Deployment's image, sequence and rollout
  rollback  every Deployment back to the previous successful image, or --to <commit>;
            pins the stage first (--reason "…") unless --no-pin
  pin       hold the stage: successful builds are recorded held, not deployed;
            --to <commit> also rolls back to that commit's build; --reason "…" required
  unpin     release the stage; --deploy-latest rolls out the newest held build
  trace     <commit | delivery id>: one push's timeline from the ledger (--json)
Every command acts on one service of the stage (its own sequence, pin and history):
--service names it, and may be left out when the stage deploys one service.
The stage is found from itself: inside \`sst shell --stage <stage>\` everything is known;
otherwise the outputs of its last \`sst deploy\` here (.sst/outputs.json) name its ledger,
cluster, region, registries and services. Flags only override:
options: --stage <stage> --service <name> --table <ledger table> --region <region>
         --kubeconfig <file> | --cluster <eks name> --registry <ecr repository uri>
         --namespace <ns> --deployments <deployment>:<container>,… --json --timeout <s>`;

/** Runs one command; returns the process exit code (0 ok, 1 failed, 2 usage). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const flush: { settled?: () => Promise<void> } = {};
  try {
    return await runCommand(argv, io, flush);
  } finally {
    await flush.settled?.();
  }
}

async function runCommand(
  argv: readonly string[],
  io: CliIo,
  flush: { settled?: () => Promise<void> },
): Promise<number> {
  let parsed: ReturnType<typeof parseCli>;
  try {
    parsed = parseCli(argv);
  } catch (error) {
    io.err(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  const { command, values, positionals } = parsed;
  if (command === "help" || values.help) {
    io.out(usage);
    return 0;
  }
  const env = io.env ?? process.env;
  const found = findStage(values, env, io.outputs);
  if ("missing" in found) {
    io.err(`the stage is not known: set ${found.missing.join(", ")}\n${usage}`);
    return 2;
  }
  const { stage } = found;
  // History and trace read the ledger only; every other command acts on the Deployments.
  const chosen = chooseService(found.services, values, !["history", "trace"].includes(command));
  if (typeof chosen === "string") {
    io.err(`${chosen}\n${usage}`);
    return 2;
  }
  const { service, deployments } = chosen;
  const lane = { stage, service };
  /** How results name the lane to people: `stage/service`. */
  const shown = laneName(lane);
  if (command === "trace" && !positionals[1]) {
    io.err(`trace needs a commit or a delivery id\n${usage}`);
    return 2;
  }
  const reason = values.reason ?? (command === "rollback" ? "rolled back by an operator" : "");
  if (command === "unpin" && values["deploy-latest"] && !found.registry) {
    io.err(
      `unpin --deploy-latest checks the image in the stage's registry: pass --registry <uri>\n${usage}`,
    );
    return 2;
  }
  if (command === "pin" && !reason) {
    io.err(`pin needs --reason "…"\n${usage}`);
    return 2;
  }
  const log: AdapterLog = {
    info: () => {},
    warn: (message, ...rest) => io.err(`${message} ${JSON.stringify(rest)}`),
    error: (message, ...rest) => io.err(`${message} ${JSON.stringify(rest)}`),
  };
  const linked = withLinkedSecrets(env);
  const github = gitHubSettingsIfAny(linked);
  const settings: OperatorSettings = {
    awsCallTimeoutMs: 5_000,
    region: found.region,
    ledgerTable: found.table,
    lifecycle: { ...(found.lifecycleBus ? { busName: found.lifecycleBus } : {}), stage },
    ...(github ? { github } : {}),
    ...(found.cluster ? { cluster: found.cluster } : {}),
  };
  const deps = await (io.connect ?? connect)(settings, log);
  if (deps.settled) flush.settled = deps.settled;
  const target: OperatedStage = { stage, service, deployments };
  const common = {
    ...deps,
    target,
    log,
    now: () => new Date(),
    sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
    rolloutTimeoutMs: Number(values.timeout) * 1000,
  };
  const result = await (async (): Promise<CommandResult | undefined> => {
    const by = userInfo().username;
    switch (command) {
      case "history":
        return {
          command,
          stage: shown,
          value: await deps.ledger.history(lane, Number(values.limit)),
        };
      case "trace": {
        const query = positionals[1] ?? "";
        const value = matchTraceQuery(await deps.ledger.history(lane, 500), query)
          .sort((a, b) => a.sequence - b.sequence)
          .map((record) => traceDeployment(record));
        if (value.length === 0) {
          io.err(`no deployment of ${query} in ${stage}/${service}'s ledger`);
          return undefined;
        }
        return { command, stage: shown, value };
      }
      case "status":
        return { command, stage: shown, value: await stageStatus(common) };
      case "unpin": {
        // Deploying the held build goes through the deploy function's checks, the registry's
        // too: the service's own repository (--registry, or the stage's outputs).
        const deploying: DeployTarget = {
          ...target,
          production: false,
          imageRepository: found.registry ?? chosen.registry ?? "",
        };
        return {
          command,
          stage: shown,
          value: await unpinStage(
            {
              ...common,
              target: deploying,
              github: deps.github ?? unconfiguredGitHub,
              registry: deps.registry ?? noRegistry,
            },
            { deployLatest: values["deploy-latest"] },
          ),
        };
      }
      case "pin":
      case "rollback": {
        if (command === "rollback" && !values.pin) {
          const value = await rollbackStage(common, {
            ...(values.to ? { toCommit: values.to } : {}),
            requestedBy: by,
          });
          return { command, stage: shown, value };
        }
        const rollback =
          command === "rollback" || values.to
            ? { ...(values.to ? { toCommit: values.to } : {}) }
            : undefined;
        const value = await pinStage(common, { reason, by, ...(rollback ? { rollback } : {}) });
        return { command: "pin", stage: shown, value };
      }
    }
  })();
  if (result === undefined) return 1;
  io.out(present(result, values.json));
  return exitCodeOf(result);
}

function parseCli(argv: readonly string[]) {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    allowNegative: true,
    options: {
      reason: { type: "string" },
      pin: { type: "boolean", default: true },
      "deploy-latest": { type: "boolean", default: false },
      stage: { type: "string" },
      service: { type: "string" },
      to: { type: "string" },
      limit: { type: "string", default: "20" },
      timeout: { type: "string", default: "300" },
      table: { type: "string" },
      kubeconfig: { type: "string" },
      cluster: { type: "string" },
      registry: { type: "string" },
      region: { type: "string" },
      namespace: { type: "string" },
      deployments: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  const command = positionals[0] ?? "help";
  if (!isCommand(command)) throw new Error(`unknown command "${command}"`);
  return { command, values, positionals };
}

/**
 * The service a command acts on and its Deployments: `--service`, or the stage's only one;
 * `--deployments` (with `--namespace`) overrides what the stage's outputs list. A string
 * says what is missing.
 */
function chooseService(
  services: readonly StageService[],
  values: {
    service?: string | undefined;
    deployments?: string | undefined;
    namespace?: string | undefined;
  },
  needsDeployments: boolean,
): { service: string; deployments: WorkloadTarget[]; registry?: string } | string {
  const [only, ...others] = services;
  const name = values.service ?? (others.length === 0 ? only?.name : undefined);
  if (name === undefined) {
    return services.length === 0
      ? "the service is not known: pass --service <name> (and --namespace, --deployments)"
      : `the stage deploys ${services.map((s) => s.name).join(", ")}: pass --service <name>`;
  }
  if (values.deployments !== undefined) {
    if (values.namespace === undefined) return "--deployments needs --namespace";
    return { service: name, deployments: parseWorkloadList(values.deployments, values.namespace) };
  }
  const known = services.find((s) => s.name === name);
  if (known !== undefined) {
    return {
      service: name,
      deployments: known.deployments,
      ...(known.registry ? { registry: known.registry } : {}),
    };
  }
  if (services.length > 0) {
    return `the stage deploys no service ${name} (it deploys ${services.map((s) => s.name).join(", ")})`;
  }
  return needsDeployments
    ? `the Deployments of ${name} are not known: pass --namespace and --deployments`
    : { service: name, deployments: [] };
}

const commands = ["history", "status", "rollback", "pin", "unpin", "trace", "help"] as const;
const isCommand = (name: string): name is (typeof commands)[number] =>
  (commands as readonly string[]).includes(name);

/** The production adapters, from the same wiring as the functions. */
async function connect(settings: OperatorSettings, log: AdapterLog): Promise<CliDeps> {
  const { workloads, ...adapters } = wireOperator(settings, log);
  return { ...adapters, workloads: workloads ?? noCluster };
}

const noClusterError = () =>
  new Error(
    "no cluster for this stage: pass --kubeconfig <file> or --cluster <eks name> (or set KUBECONFIG)",
  );

/** Only an unpin that deploys asks the registry, and it is refused above without one. */
const noRegistry: ImageRegistry = {
  holds: () => Promise.reject(new Error("no image registry for this stage: pass --registry")),
};

/** History and trace need no cluster; anything that does says how to name one. */
const noCluster: Workloads = {
  read: () => Promise.reject(noClusterError()),
  setImage: () => Promise.reject(noClusterError()),
  revisions: () => Promise.reject(noClusterError()),
  // biome-ignore lint/correctness/useYield: it fails before it could yield
  async *watch() {
    throw noClusterError();
  },
};
