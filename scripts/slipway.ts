// The operator CLI, on the same core as the deploy function:
//   npm run slipway -- history  --stage dev [--limit 20] [--json]
//   npm run slipway -- status   --stage dev [--json]
//   npm run slipway -- rollback --stage dev [--to <commit>] [--timeout 300] [--no-pin] [--reason "…"]
//   npm run slipway -- pin      --stage dev [--to <commit>] --reason "…"
//   npm run slipway -- unpin    --stage dev [--deploy-latest]
//   npm run slipway -- trace    <commit | delivery id> --stage dev [--json]
// Ledger: --table (or SLIPWAY_LEDGER_TABLE), in the default AWS region and credentials
// (AWS_ENDPOINT_URL_DYNAMODB points it at moto). Cluster: --kubeconfig (or KUBECONFIG), your
// own kubectl identity, or --cluster <EKS name> (or EKS_CLUSTER_NAME) with your AWS identity.
import { userInfo } from "node:os";
import { parseArgs } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EKSClient } from "@aws-sdk/client-eks";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { KubeConfig } from "@kubernetes/client-node";
import { createEksCluster, createEventBridgePublisher } from "@slipway/aws";
import {
  type DeploymentRecord,
  type DeploymentTrace,
  type DeployTarget,
  formatDuration,
  type GitHubReporter,
  type Ledger,
  matchTraceQuery,
  type PinStageOutcome,
  parseWorkloadList,
  pinStage,
  type RollbackOutcome,
  rollbackStage,
  type StageStatus,
  stageStatus,
  traceDeployment,
  type UnpinStageOutcome,
  unpinStage,
  type Workloads,
  withLifecycleEvents,
} from "@slipway/core";
import { createGitHubClient, createGitHubReporter } from "@slipway/github";
import { bearerKubeConfig, createKubeWorkloads } from "@slipway/kube";
import { createDynamoLedger } from "@slipway/ledger";

/**
 * What the commands run against; tests pass their own. GitHub only for unpin --deploy-latest;
 * `settled` waits for the lifecycle events of the CLI's own state changes.
 */
export type CliDeps = {
  ledger: Ledger;
  workloads: Workloads;
  github?: GitHubReporter;
  settled?: () => Promise<void>;
};

export type CliIo = {
  out: (line: string) => void;
  err: (line: string) => void;
  connect?: (options: ConnectOptions) => Promise<CliDeps>;
};

export type ConnectOptions = {
  table: string;
  kubeconfig?: string;
  cluster?: string;
  region: string;
};

const usage = `usage: slipway <history|status|rollback> --stage <stage> [options]
       slipway <pin|unpin> --stage <stage> [options]
       slipway trace <commit | delivery id> --stage <stage> [--json]
  history   the stage's deployments, newest first (--limit N)
  status    what the stage runs now: each Deployment's image, sequence and rollout
  rollback  every Deployment back to the previous successful image, or --to <commit>;
            pins the stage first (--reason "…") unless --no-pin
  pin       hold the stage: successful builds are recorded held, not deployed;
            --to <commit> also rolls back to that commit's build; --reason "…" required
  unpin     release the stage; --deploy-latest rolls out the newest held build
  trace     <commit | delivery id>: one push's timeline from the ledger (--json)
options: --table <ledger table> --kubeconfig <file> | --cluster <eks name> --region <region>
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
  const { command, values } = parsed;
  const positionals = parsed.positionals;
  if (command === "help" || values.help) {
    io.out(usage);
    return 0;
  }
  const stage = values.stage;
  const table = values.table ?? process.env.SLIPWAY_LEDGER_TABLE;
  if (!stage || !table) {
    io.err(`--stage and --table (or SLIPWAY_LEDGER_TABLE) are required\n${usage}`);
    return 2;
  }
  const target: DeployTarget = {
    stage,
    deployments: parseWorkloadList(values.deployments, values.namespace),
    production: false,
  };
  const kubeconfig = values.kubeconfig ?? process.env.KUBECONFIG;
  const cluster = values.cluster ?? process.env.EKS_CLUSTER_NAME;
  const deps = await (io.connect ?? connect)({
    table,
    region: values.region ?? process.env.AWS_REGION ?? "us-east-1",
    ...(kubeconfig ? { kubeconfig } : {}),
    ...(cluster ? { cluster } : {}),
  });
  if (deps.settled) flush.settled = deps.settled;
  const common = {
    ...deps,
    target,
    sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
  };
  if (command === "history") {
    const records = await deps.ledger.history(stage, Number(values.limit));
    io.out(values.json ? JSON.stringify(records, null, 2) : historyTable(records));
    return 0;
  }
  if (command === "trace") {
    const query = positionals[1];
    if (!query) {
      io.err(`trace needs a commit or a delivery id\n${usage}`);
      return 2;
    }
    const traces = matchTraceQuery(await deps.ledger.history(stage, 500), query)
      .sort((a, b) => a.sequence - b.sequence)
      .map((record) => traceDeployment(record));
    if (traces.length === 0) {
      io.err(`no deployment of ${query} in ${stage}'s ledger`);
      return 1;
    }
    io.out(values.json ? JSON.stringify(traces, null, 2) : traces.map(traceText).join("\n\n"));
    return 0;
  }
  const by = userInfo().username;
  const now = () => new Date();
  if (command === "pin" || (command === "rollback" && values.pin)) {
    const reason = values.reason ?? (command === "rollback" ? "rolled back by an operator" : "");
    if (!reason) {
      io.err(`pin needs --reason "…"\n${usage}`);
      return 2;
    }
    const rollback =
      command === "rollback" || values.to
        ? { ...(values.to ? { toCommit: values.to } : {}) }
        : undefined;
    const outcome = await pinStage(
      { ...common, now, rolloutTimeoutMs: Number(values.timeout) * 1000 },
      { reason, by, ...(rollback ? { rollback } : {}) },
    );
    io.out(values.json ? JSON.stringify(outcome, null, 2) : pinText(stage, outcome));
    const rolled = outcome.rollback;
    return rolled === undefined ||
      rolled.kind === "already" ||
      (rolled.kind === "rolled-back" && rolled.progress.kind === "complete")
      ? 0
      : 1;
  }
  if (command === "unpin") {
    const outcome = await unpinStage(
      {
        ...common,
        github: deps.github ?? noGitHub,
        log: {
          info: () => {},
          warn: (message, ...rest) => io.err(`${message} ${JSON.stringify(rest)}`),
        },
        now,
        rolloutTimeoutMs: Number(values.timeout) * 1000,
      },
      { deployLatest: values["deploy-latest"] },
    );
    io.out(values.json ? JSON.stringify(outcome, null, 2) : unpinText(stage, outcome));
    return outcome.kind === "unpinned" &&
      outcome.deployed !== undefined &&
      outcome.deployed.outcome.kind !== "succeeded"
      ? 1
      : 0;
  }
  if (command === "status") {
    const status = await stageStatus(common);
    io.out(values.json ? JSON.stringify(status, null, 2) : statusText(status));
    return status.workloads.every((w) => w.verdict.kind === "complete") ? 0 : 1;
  }
  const outcome = await rollbackStage(
    { ...common, now, rolloutTimeoutMs: Number(values.timeout) * 1000 },
    { ...(values.to ? { toCommit: values.to } : {}), requestedBy: by },
  );
  io.out(values.json ? JSON.stringify(outcome, null, 2) : rollbackText(outcome));
  return outcome.kind === "already" ||
    (outcome.kind === "rolled-back" && outcome.progress.kind === "complete")
    ? 0
    : 1;
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
      region: { type: "string" },
      namespace: { type: "string", default: "chat" },
      deployments: { type: "string", default: "chat-server:server,chat-web:web" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  const command = positionals[0] ?? "help";
  if (!["history", "status", "rollback", "pin", "unpin", "trace", "help"].includes(command)) {
    throw new Error(`unknown command "${command}"`);
  }
  return { command, values, positionals };
}

/**
 * Production connections: DynamoDB in the default account, and KUBECONFIG or EKS. With
 * LIFECYCLE_BUS_NAME, the CLI's own state changes (a held build rolled out on unpin) are
 * published like the functions'; a dropped event is printed, never fatal.
 */
async function connect(options: ConnectOptions): Promise<CliDeps> {
  const dynamoLedger = createDynamoLedger({
    client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: options.region })),
    tableName: options.table,
  });
  const busName = process.env.LIFECYCLE_BUS_NAME;
  const log = {
    info: () => {},
    warn: (message: string) => process.stderr.write(`${message}\n`),
  };
  const published = busName
    ? withLifecycleEvents(dynamoLedger, {
        publisher: createEventBridgePublisher({
          client: new EventBridgeClient({ region: options.region }),
          busName,
          onDropped: (detail, reason) =>
            process.stderr.write(
              `lifecycle event ${detail.status} #${detail.sequence} dropped: ${reason}\n`,
            ),
        }),
        log,
      })
    : undefined;
  const ledger = published ?? dynamoLedger;
  const settled = published ? { settled: () => published.settled() } : {};
  const token = process.env.GITHUB_TOKEN;
  const github = token
    ? {
        github: createGitHubReporter({
          octokit: createGitHubClient(
            { kind: "token", token },
            process.env.GITHUB_API_URL ? { baseUrl: process.env.GITHUB_API_URL } : {},
          ),
        }),
      }
    : {};
  if (options.kubeconfig) {
    const config = new KubeConfig();
    config.loadFromFile(options.kubeconfig);
    return { ledger, workloads: createKubeWorkloads({ config }), ...github, ...settled };
  }
  if (!options.cluster)
    throw new Error("set --kubeconfig (or KUBECONFIG) or --cluster (or EKS_CLUSTER_NAME)");
  const eks = await createEksCluster({
    client: new EKSClient({ region: options.region }),
    clusterName: options.cluster,
    region: options.region,
  }).connect();
  const config = bearerKubeConfig({
    server: eks.server,
    certificateAuthorityData: eks.certificateAuthorityData,
    token: eks.token,
  });
  return { ledger, workloads: createKubeWorkloads({ config }), ...github, ...settled };
}

const shortImage = (image: string | undefined) =>
  image === undefined ? "-" : image.replace(/@sha256:([0-9a-f]{12})[0-9a-f]+$/, "@sha256:$1…");

function historyTable(records: readonly DeploymentRecord[]): string {
  if (records.length === 0) return "no deployments";
  const rows = records.map((r) => [
    `#${r.sequence}`,
    r.state,
    r.commit.slice(0, 7),
    r.updatedAt.replace(/\.\d+Z$/, "Z"),
    shortImage(r.imageDigest),
    r.reason ?? r.commitTitle,
  ]);
  return table([["seq", "state", "commit", "updated", "image", "title / reason"], ...rows]);
}

function statusText(status: StageStatus): string {
  const latest = status.latest
    ? `latest: #${status.latest.sequence} ${status.latest.state} (${status.latest.commit.slice(0, 7)} ${status.latest.commitTitle})`
    : "latest: none in the ledger";
  const rows = status.workloads.map((w) => [
    w.name,
    shortImage(w.image),
    w.mark ? `#${w.mark.sequence}` : "-",
    w.mark?.commit?.slice(0, 7) ?? "-",
    `${w.verdict.kind}: ${w.verdict.message}`,
  ]);
  return `stage ${status.stage}, ${latest}\n${table([["deployment", "image", "seq", "commit", "rollout"], ...rows])}`;
}

function rollbackText(outcome: RollbackOutcome): string {
  switch (outcome.kind) {
    case "no-candidate":
      return `nothing to roll back to: ${outcome.reason}`;
    case "already":
      return `already running ${shortImage(outcome.choice.image)}; nothing changed`;
    case "raced":
      return `a deploy of #${outcome.sequence} landed meanwhile; rollback stopped`;
    case "rolled-back": {
      const { choice, progress } = outcome;
      const what = choice.commit
        ? `${choice.commit.slice(0, 7)} (#${choice.sequence})`
        : "the previous ReplicaSet";
      const how =
        progress.kind === "progressing"
          ? `still rolling out: ${progress.pending.join("; ")}`
          : progress.kind;
      return `rolled back to ${what}, ${shortImage(choice.image)} from the ${choice.source}: ${how}`;
    }
  }
}

function pinText(stage: string, outcome: PinStageOutcome): string {
  const pinned =
    outcome.kind === "pinned"
      ? `pinned ${stage}: ${outcome.pin.reason} (builds after #${outcome.lastGuarded} are held)`
      : `${stage} was already pinned by ${outcome.pin.by} at ${outcome.pin.at.toISOString()}: ${outcome.pin.reason}`;
  return outcome.rollback ? `${pinned}\n${rollbackText(outcome.rollback)}` : pinned;
}

function unpinText(stage: string, outcome: UnpinStageOutcome): string {
  if (outcome.kind === "not-pinned") return `${stage} was not pinned`;
  const released = `unpinned ${stage} (pinned by ${outcome.pin.by}: ${outcome.pin.reason})`;
  if (outcome.deployed === undefined) return released;
  const { sequence, outcome: deployed } = outcome.deployed;
  return `${released}\ndeployed held #${sequence}: ${deployed.kind}${"reason" in deployed ? ` (${deployed.reason})` : ""}`;
}

function traceText(trace: DeploymentTrace): string {
  const head = `${trace.stage} #${trace.sequence} ${trace.commit.slice(0, 7)} (delivery ${trace.deliveryId}): ${trace.state}`;
  const rows = trace.steps.map((s) => [
    s.at.replace(/Z$/, "Z"),
    s.sincePreviousMs === undefined ? "" : `+${formatDuration(s.sincePreviousMs)}`,
    s.step,
    s.detail === undefined ? "" : shortImage(s.detail),
  ]);
  const links = [
    `build log: ${trace.links.buildLog}`,
    ...(trace.links.githubDeployment ? [`GitHub deployment: ${trace.links.githubDeployment}`] : []),
  ];
  return `${head}\n${table(rows)}\n${links.join("\n")}`;
}

/** Without GitHub credentials the CLI still deploys; the ledger marks the report owed. */
const noGitHub: GitHubReporter = {
  createDeployment: () => Promise.reject(new Error("no GitHub credentials (set GITHUB_TOKEN)")),
  setDeploymentStatus: () => Promise.reject(new Error("no GitHub credentials (set GITHUB_TOKEN)")),
  setCommitStatus: () => Promise.reject(new Error("no GitHub credentials (set GITHUB_TOKEN)")),
};

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

if (import.meta.main) {
  process.exitCode = await runCli(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
}
