import {
  type DeploymentRecord,
  type DeploymentTrace,
  formatDuration,
  type PinStageOutcome,
  type RollbackOutcome,
  type StageStatus,
  type UnpinStageOutcome,
} from "@slipway/core";
import { printable } from "./printable.ts";

/** What one command found or did: the value `--json` prints, and the text is made from. */
export type CommandResult =
  | { command: "history"; stage: string; value: DeploymentRecord[] }
  | { command: "status"; stage: string; value: StageStatus }
  | { command: "rollback"; stage: string; value: RollbackOutcome }
  | { command: "pin"; stage: string; value: PinStageOutcome }
  | { command: "unpin"; stage: string; value: UnpinStageOutcome }
  | { command: "trace"; stage: string; value: DeploymentTrace[] };

/**
 * The one formatter: `--json` prints the result's value as it is, text is drawn from the same
 * value. Either way no control character from the ledger (a commit title, a pin reason)
 * reaches the terminal as itself: JSON escapes C0 but not C1 (CSI is U+009B).
 */
export function present(result: CommandResult, json: boolean): string {
  return printable(json ? JSON.stringify(result.value, null, 2) : presentText(result));
}

function presentText(result: CommandResult): string {
  switch (result.command) {
    case "history":
      return historyTable(result.value);
    case "status":
      return statusText(result.value);
    case "rollback":
      return rollbackText(result.value);
    case "pin":
      return pinText(result.stage, result.value);
    case "unpin":
      return unpinText(result.stage, result.value);
    case "trace":
      return result.value.map(traceText).join("\n\n");
  }
}

/** 0 when the command did what was asked (a rollback that completed), else 1. */
export function exitCodeOf(result: CommandResult): number {
  switch (result.command) {
    case "history":
    case "trace":
      return 0;
    case "status":
      return result.value.workloads.every((w) => w.verdict.kind === "complete") ? 0 : 1;
    case "rollback":
      return rolledBack(result.value) ? 0 : 1;
    case "pin":
      return result.value.rollback === undefined || rolledBack(result.value.rollback) ? 0 : 1;
    case "unpin": {
      const { value } = result;
      return value.deployed !== undefined && value.deployed.outcome.kind !== "succeeded" ? 1 : 0;
    }
  }
}

const rolledBack = (outcome: RollbackOutcome) =>
  outcome.kind === "already" ||
  (outcome.kind === "rolled-back" && outcome.progress.kind === "complete");

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
  const released =
    outcome.kind === "not-pinned"
      ? `${stage} was not pinned`
      : `unpinned ${stage} (pinned by ${outcome.pin.by}: ${outcome.pin.reason})`;
  if (outcome.deployed === undefined) return released;
  const { sequence, outcome: deployed } = outcome.deployed;
  return `${released}\ndeployed held #${sequence}: ${deployed.kind}${"reason" in deployed ? ` (${deployed.reason})` : ""}`;
}

function traceText(trace: DeploymentTrace): string {
  const head = `${trace.stage}/${trace.service} #${trace.sequence} ${trace.commit.slice(0, 7)} (delivery ${trace.deliveryId}): ${trace.state}`;
  const rows = trace.steps.map((s) => [
    s.at,
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
