import type { DeploymentRecord, FinishedBuild, Ledger } from "@slipway/core";
import { DeploymentState } from "@slipway/core";
import type { LedgerInspection } from "../ledger-inspection.ts";

export type SeedOptions = {
  stage: string;
  /** The service; with the stage, the lane whose counter is advanced. @default "chat" */
  service?: string;
  /** The sequence to record; the stage's counter is advanced to it. */
  sequence: number;
  commit?: string;
  state?: DeploymentState;
  imageDigest?: string;
  /** The GitHub Deployment made at push time; `null` when GitHub was down then. */
  githubDeploymentId?: number | null;
  now?: Date;
};

const seeded = new WeakMap<Ledger, Map<string, number>>();

/**
 * Records a deployment as the webhook would have (claimed delivery, sequence, record), so a
 * deploy-side test starts from a real ledger state. Returns the stored record.
 */
export async function seedDeployment(
  ledger: Ledger & Pick<LedgerInspection, "nextSequence">,
  options: SeedOptions,
): Promise<DeploymentRecord> {
  const at = options.now ?? new Date("2026-11-26T10:00:00.000Z");
  const { stage, sequence } = options;
  const service = options.service ?? "chat";
  const lane = { stage, service };
  const laneId = `${stage}#${service}`;
  const deliveryId = `delivery-${stage}-${service}-${sequence}`;
  await ledger.claimDelivery({
    deliveryId,
    service,
    claimedAt: at,
    leaseUntil: new Date(at.getTime() + 60_000),
    retainUntil: new Date(at.getTime() + 7 * 24 * 3600_000),
  });
  // Advance the counter so that the delivery gets exactly `sequence`. The ledger cannot be
  // asked for its counter, so remember how far seeding took it.
  const counters = seeded.get(ledger) ?? new Map<string, number>();
  seeded.set(ledger, counters);
  for (let counter = counters.get(laneId) ?? 0; counter < sequence - 1; ) {
    counter = await ledger.nextSequence(lane);
  }
  counters.set(laneId, sequence);
  const assigned = await ledger.assignSequence(deliveryId, lane);
  if (assigned !== sequence)
    throw new Error(`${stage} counter is past ${sequence} (got ${assigned})`);
  const iso = at.toISOString();
  const commit = options.commit ?? `${sequence.toString(16).padStart(6, "0")}${"a".repeat(34)}`;
  const record: DeploymentRecord = {
    stage,
    service,
    sequence,
    deliveryId,
    state: DeploymentState.queued,
    repository: { owner: "slipway-dev", name: "slipway" },
    ref: "refs/heads/main",
    commit,
    commitTitle: `Change number ${sequence}`,
    project: `slipway-${stage}-${service}`,
    buildId: `slipway-${stage}-${service}:build-${sequence}`,
    logUrl: `https://builds.example.test/slipway-${stage}/${sequence}`,
    githubReport: options.githubDeploymentId === null ? "pending" : "reported",
    ...(options.githubDeploymentId === null
      ? {}
      : { githubDeploymentId: options.githubDeploymentId ?? 5000 + sequence }),
    createdAt: iso,
    updatedAt: iso,
    transitions: [{ state: DeploymentState.queued, at: iso }],
  };
  await ledger.recordDeployment(record);
  const target = options.state ?? DeploymentState.building;
  if (target !== DeploymentState.queued) {
    const path: DeploymentState[] =
      target === DeploymentState.building || target === DeploymentState.deploying
        ? [DeploymentState.building, ...(target === DeploymentState.deploying ? [target] : [])]
        : [
            DeploymentState.building,
            DeploymentState.deploying,
            // A rollback is decided (durably) before it is done.
            ...(target === DeploymentState.rolledBack ? [DeploymentState.rollingBack] : []),
            target,
          ];
    let from: DeploymentState = DeploymentState.queued;
    for (const to of path) {
      const fields =
        to === DeploymentState.deploying && options.imageDigest
          ? { imageDigest: options.imageDigest }
          : {};
      const moved = await ledger.transition(
        { stage, service, sequence },
        { from: [from], to, at, fields },
      );
      if (moved.kind === "conflict")
        throw new Error(`cannot seed ${stage}#${sequence} as ${target}`);
      from = to;
    }
  }
  const stored = await ledger.get({ stage, service, sequence });
  if (stored === undefined) throw new Error(`seeded ${stage}#${sequence} is missing`);
  return stored;
}

/** The finished build of a seeded deployment, as readFinishedBuild would return it. */
export function finishedBuildOf(
  record: DeploymentRecord,
  build: Partial<FinishedBuild> = {},
): FinishedBuild {
  return {
    status: "succeeded",
    stage: record.stage,
    service: record.service,
    sequence: record.sequence,
    commit: record.commit,
    deliveryId: record.deliveryId,
    buildId: record.buildId,
    buildNumber: record.sequence,
    logUrl: undefined,
    image: digestImage(record.sequence),
    ...build,
  };
}

/** A distinct, valid `repo@sha256:…` for each number. */
export function digestImage(n: number, repository = "registry.example.test/slipway-chat"): string {
  return `${repository}@sha256:${n.toString(16).padStart(64, "0")}`;
}
