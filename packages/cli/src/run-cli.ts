import { userInfo } from "node:os";
import { parseArgs } from "node:util";
import {
  type DeployTarget,
  type GitHubReporter,
  type ImageRegistry,
  type Ledger,
  matchTraceQuery,
  type OperatedStage,
  parseWorkloadList,
  pinStage,
  rollbackStage,
  stageStatus,
  traceDeployment,
  unpinStage,
  type Workloads,
} from "@slipway/core";
import {
  type AdapterLog,
  gitHubSettingsIfAny,
  type OperatorSettings,
  unconfiguredGitHub,
  wireOperator,
  withLinkedSecrets,
} from "@slipway/wiring";
import { findStage, type SstOutputs } from "./find-stage.ts";
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

const usage = `usage: slipway <history|status|rollback> [--stage <stage>] [options]
       slipway <pin|unpin> [--stage <stage>] [options]
       slipway trace <commit | delivery id> [--stage <stage>] [--json]
  history   the stage's deployments, newest first (--limit N)
  status    what the stage runs now: each Deployment's image, sequence and rollout
  rollback  every Deployment back to the previous successful image, or --to <commit>;
            pins the stage first (--reason "…") unless --no-pin
  pin       hold the stage: successful builds are recorded held, not deployed;
            --to <commit> also rolls back to that commit's build; --reason "…" required
  unpin     release the stage; --deploy-latest rolls out the newest held build
  trace     <commit | delivery id>: one push's timeline from the ledger (--json)
The stage is found from itself: inside \`sst shell --stage <stage>\` everything is known;
otherwise the outputs of its last \`sst deploy\` here (.sst/outputs.json) name its ledger,
cluster, region and registry. Flags only override:
options: --stage <stage> --table <ledger table> --region <region>
         --kubeconfig <file> | --cluster <eks name> --registry <ecr repository uri>
         --namespace chat --deployments chat-server:server,chat-web:web --json --timeout <s>`;

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
  const target: OperatedStage = {
    stage,
    deployments: parseWorkloadList(values.deployments, values.namespace),
  };
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
        return { command, stage, value: await deps.ledger.history(stage, Number(values.limit)) };
      case "trace": {
        const query = positionals[1] ?? "";
        const value = matchTraceQuery(await deps.ledger.history(stage, 500), query)
          .sort((a, b) => a.sequence - b.sequence)
          .map((record) => traceDeployment(record));
        if (value.length === 0) {
          io.err(`no deployment of ${query} in ${stage}'s ledger`);
          return undefined;
        }
        return { command, stage, value };
      }
      case "status":
        return { command, stage, value: await stageStatus(common) };
      case "unpin": {
        // Deploying the held build goes through the deploy function's checks, the registry's too.
        const deploying: DeployTarget = {
          ...target,
          production: false,
          imageRepository: found.registry ?? "",
        };
        return {
          command,
          stage,
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
          return { command, stage, value };
        }
        const rollback =
          command === "rollback" || values.to
            ? { ...(values.to ? { toCommit: values.to } : {}) }
            : undefined;
        const value = await pinStage(common, { reason, by, ...(rollback ? { rollback } : {}) });
        return { command: "pin", stage, value };
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
      to: { type: "string" },
      limit: { type: "string", default: "20" },
      timeout: { type: "string", default: "300" },
      table: { type: "string" },
      kubeconfig: { type: "string" },
      cluster: { type: "string" },
      registry: { type: "string" },
      region: { type: "string" },
      namespace: { type: "string", default: "chat" },
      deployments: { type: "string", default: "chat-server:server,chat-web:web" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  const command = positionals[0] ?? "help";
  if (!isCommand(command)) throw new Error(`unknown command "${command}"`);
  return { command, values, positionals };
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
