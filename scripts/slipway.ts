// The operator CLI, on the same core as the deploy function:
//   npm run slipway -- history  --stage dev [--limit 20] [--json]
//   npm run slipway -- status   --stage dev [--json]
//   npm run slipway -- rollback --stage dev [--to <commit>] [--timeout 300]
// Ledger: --table (or SLIPWAY_LEDGER_TABLE), in the default AWS region and credentials
// (AWS_ENDPOINT_URL_DYNAMODB points it at moto). Cluster: --kubeconfig (or KUBECONFIG), your
// own kubectl identity, or --cluster <EKS name> (or EKS_CLUSTER_NAME) with your AWS identity.
import { userInfo } from "node:os";
import { parseArgs } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EKSClient } from "@aws-sdk/client-eks";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { KubeConfig } from "@kubernetes/client-node";
import { createEksCluster } from "@slipway/aws";
import {
  type DeploymentRecord,
  type DeployTarget,
  type Ledger,
  parseWorkloadList,
  type RollbackOutcome,
  rollbackStage,
  type StageStatus,
  stageStatus,
  type Workloads,
} from "@slipway/core";
import { bearerKubeConfig, createKubeWorkloads } from "@slipway/kube";
import { createDynamoLedger } from "@slipway/ledger";

/** What the commands run against; tests pass their own. */
export type CliDeps = { ledger: Ledger; workloads: Workloads };

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
  history   the stage's deployments, newest first (--limit N)
  status    what the stage runs now: each Deployment's image, sequence and rollout
  rollback  every Deployment back to the previous successful image, or --to <commit>
options: --table <ledger table> --kubeconfig <file> | --cluster <eks name> --region <region>
         --namespace chat --deployments chat-server:server,chat-web:web --json --timeout <s>`;

/** Runs one command; returns the process exit code (0 ok, 1 failed, 2 usage). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseCli>;
  try {
    parsed = parseCli(argv);
  } catch (error) {
    io.err(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  const { command, values } = parsed;
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
  if (command === "status") {
    const status = await stageStatus(common);
    io.out(values.json ? JSON.stringify(status, null, 2) : statusText(status));
    return status.workloads.every((w) => w.verdict.kind === "complete") ? 0 : 1;
  }
  const outcome = await rollbackStage(
    { ...common, rolloutTimeoutMs: Number(values.timeout) * 1000 },
    { ...(values.to ? { toCommit: values.to } : {}), requestedBy: userInfo().username },
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
    options: {
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
  if (!["history", "status", "rollback", "help"].includes(command)) {
    throw new Error(`unknown command "${command}"`);
  }
  return { command, values };
}

/** Production connections: DynamoDB in the default account, and KUBECONFIG or EKS. */
async function connect(options: ConnectOptions): Promise<CliDeps> {
  const ledger = createDynamoLedger({
    client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: options.region })),
    tableName: options.table,
  });
  if (options.kubeconfig) {
    const config = new KubeConfig();
    config.loadFromFile(options.kubeconfig);
    return { ledger, workloads: createKubeWorkloads({ config }) };
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
  return { ledger, workloads: createKubeWorkloads({ config }) };
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
