import {
  DeployAnnotation,
  type DeploymentRecord,
  DeploymentState,
  type Ledger,
  rolloutStates,
  type WorkloadTarget,
} from "@slipway/core";
import type { FakeGitHub } from "@slipway/github/testing";
import { type ImageChange, type SlipwayWrite, writeKey } from "./cluster-history.ts";
import { githubOf } from "./deploy-world.ts";

/** Who made an image change on the cluster. */
export type Writer =
  | { by: "hand" }
  | { by: "rollback" }
  | { by: "restore"; sequence: number }
  | { by: "deploy"; sequence: number };

const terminal: readonly string[] = [
  DeploymentState.succeeded,
  DeploymentState.failed,
  DeploymentState.superseded,
  DeploymentState.rolledBack,
  DeploymentState.replaced,
];

/**
 * Issue 17's rules, judged against the cluster's real image history (the API server's watch)
 * and the ledger: (1) no Slipway write puts a lower sequence over a higher one, nor patches a
 * build again over a hand edit; a restore only takes its own build's image off, and an
 * operator's rollback that goes below the guard records itself; and, once nothing is in
 * flight, (2) each Deployment runs the newest succeeded image, or one the ledger explains,
 * (3) no record is unfinished, (4) no final state contradicts the cluster, and (5) GitHub's
 * last statuses equal the ledger's.
 */
export class DeployRules {
  readonly violations: string[] = [];
  readonly writers = new Map<string, Writer>();
  /** Image changes nobody in Slipway wrote: the drill's own kubectl edits. */
  handChanges = 0;
  private judged = 0;
  private highest = new Map<string, number>();
  private pendingRollbacks: ImageChange[] = [];
  private readonly options: {
    changes: readonly ImageChange[];
    writes: ReadonlyMap<string, SlipwayWrite>;
    ledger: Ledger;
    github: FakeGitHub;
    targets: readonly WorkloadTarget[];
    buildOf: (image: string | undefined) => number | undefined;
    /** Every ReplicaSet of the stage by name, with its image, read from the cluster. */
    replicaSets: () => Promise<ReadonlyMap<string, string | undefined>>;
  };

  constructor(options: DeployRules["options"]) {
    this.options = options;
    for (const t of options.targets) this.highest.set(t.name, 1);
  }

  /** Rule 1 over every change the watch reported since the last call. */
  async judgeWrites(context: string): Promise<void> {
    const { changes, writes, buildOf } = this.options;
    for (; this.judged < changes.length; this.judged++) {
      const change = changes[this.judged] as ImageChange;
      const writer = this.writerOf(change, writes.get(writeKey(change.target, change.generation)));
      this.writers.set(change.target, writer);
      const at = `${context}: ${change.target} ${change.from} -> ${change.to}`;
      const highest = this.highest.get(change.target) ?? 0;
      switch (writer.by) {
        case "hand":
          this.handChanges++;
          break;
        case "rollback":
          if ((buildOf(change.to) ?? 0) < highest) this.pendingRollbacks.push(change);
          break;
        case "restore":
          if (buildOf(change.from) !== writer.sequence)
            this.violations.push(
              `${at}: the restore of #${writer.sequence} took off another image`,
            );
          break;
        case "deploy":
          if (writer.sequence <= highest) {
            this.violations.push(
              writer.sequence === highest
                ? `${at}: #${writer.sequence} patched again after it reached the Deployment`
                : `${at}: #${writer.sequence} replaced #${highest}`,
            );
          }
          this.highest.set(change.target, Math.max(highest, writer.sequence));
          break;
      }
    }
    // An operator's rollback below the guard must be in the ledger (written after its patches).
    const records = await this.options.ledger.history({ stage: "dev", service: "chat" }, 500);
    for (const change of this.pendingRollbacks.splice(0)) {
      if (!records.some((r) => r.operatorRollback?.toImage === change.to)) {
        this.violations.push(
          `${context}: a rollback to ${change.to} on ${change.target} is not recorded`,
        );
      }
    }
  }

  private writerOf(change: ImageChange, write: SlipwayWrite | undefined): Writer {
    if (write === undefined || write.image !== change.to) return { by: "hand" };
    const cause = change.annotations[DeployAnnotation.changeCause] ?? "";
    if (cause.startsWith("slipway rollback")) return { by: "rollback" };
    const restoring = /^slipway #(\d+) rolled back/.exec(cause);
    if (restoring) return { by: "restore", sequence: Number(restoring[1]) };
    return { by: "deploy", sequence: Number(change.annotations[DeployAnnotation.sequence]) };
  }

  /**
   * Rules 2–5 when nothing is in flight; returns false (judging nothing) while a record is
   * still deploying or rolling back, which a later check or the re-check concludes.
   */
  async judgeQuiescent(
    context: string,
    images: ReadonlyMap<string, string | undefined>,
    options: { heldAllowed: boolean },
  ): Promise<boolean> {
    const all = await this.options.ledger.history({ stage: "dev", service: "chat" }, 500);
    if (all.some((r) => rolloutStates.includes(r.state))) return false;
    // #1 is the stage's first image, seeded as succeeded; only the drill's builds are judged.
    const records = all.filter((r) => r.sequence > 1);
    const bad = (message: string) => this.violations.push(`${context}: ${message}`);
    for (const r of records) {
      const open = !terminal.includes(r.state) && !(r.state === "held" && options.heldAllowed);
      if (open && r.state !== "queued") bad(`#${r.sequence} is still ${r.state}`);
    }
    const newest = all.find((r) => r.state === DeploymentState.succeeded);
    for (const t of this.options.targets) {
      const image = images.get(t.name);
      const writer = this.writers.get(t.name) ?? { by: "deploy", sequence: 1 };
      if (writer.by === "hand" || writer.by === "rollback") continue;
      const record = records.find((r) => r.sequence === this.options.buildOf(image));
      if (record?.state === DeploymentState.replaced) continue;
      if (record?.state === DeploymentState.failed && record.reason?.includes(t.name)) continue;
      if (image !== newest?.imageDigest) {
        bad(
          `${t.name} runs ${image} (written by ${JSON.stringify(writer)}), not ${newest?.imageDigest}`,
        );
      }
    }
    const sets = await this.options.replicaSets();
    for (const r of records) {
      // A restore judged failed by a deadline must be its own ReplicaSet's, not one the failed
      // rollout left behind on the Deployment's conditions.
      const restore = /the restore to (\S+) failed: (.*)$/.exec(r.reason ?? "");
      for (const [, named] of (restore?.[2] ?? "").matchAll(
        /ReplicaSet "([^"]+)" has timed out/g,
      )) {
        const image = sets.get(named ?? "");
        if (image !== undefined && !image.startsWith(restore?.[1] ?? "")) {
          bad(
            `#${r.sequence} says its restore failed, but the timed-out ReplicaSet ${named} runs ${image}`,
          );
        }
      }
      if (r.state === DeploymentState.rolledBack) {
        for (const t of this.options.targets) {
          if (images.get(t.name) === r.imageDigest && this.writers.get(t.name)?.by !== "hand")
            bad(`#${r.sequence} is rolled_back while ${t.name} runs its image`);
        }
      }
      this.judgeGitHub(context, r);
    }
    return true;
  }

  private judgeGitHub(context: string, record: DeploymentRecord): void {
    if (record.githubReport !== "reported") return;
    const wanted = githubOf(record);
    if (wanted === undefined) return;
    const { github } = this.options;
    const status = github.deploymentStatuses
      .filter((s) => s.deploymentId === record.githubDeploymentId)
      .at(-1)?.state;
    const commit = github.commitStatuses.filter((s) => s.sha === record.commit).at(-1)?.state;
    if (status !== wanted.deployment || commit !== wanted.commit) {
      this.violations.push(
        `${context}: #${record.sequence} is ${record.state} but GitHub shows ${status}/${commit}, not ${wanted.deployment}/${wanted.commit}`,
      );
    }
  }
}
