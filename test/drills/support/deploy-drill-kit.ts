import { Logger } from "@aws-lambda-powertools/logger";
import {
  type DeployDeps,
  type DeploymentRecord,
  DeploymentState,
  type DeployTarget,
  type Ledger,
  oneServiceStage,
} from "@slipway/core";
import type { LedgerInspection } from "@slipway/ledger";
import { digestImage, seedDeployment } from "@slipway/ledger/testing";
import {
  createDeployHandler,
  type DeployResult,
} from "../../../functions/deploy/deploy-handler.ts";
import { buildEventFor } from "../../events/codebuild/fixtures.ts";
import { createStageWorkloads, imageOf } from "../../integration/deploy/cluster-kit.ts";

export const registry = "127.0.0.1:5000/slipway-chat";
/** Each service's own registry: a build of one is never an image of the other. */
export const registryOf = (service: string) => `127.0.0.1:5000/slipway-${service}`;

/**
 * A pair of Deployments (server and web shaped) for `service` at digest 1, one replica each
 * (kwok runs nothing); the chat by default, another service beside it for the two-service runs.
 */
export async function drillStage(prefix: string, service = "chat"): Promise<DeployTarget> {
  const deployments = await createStageWorkloads(prefix, digestImage(1, registryOf(service)));
  return {
    stage: "dev",
    service,
    deployments,
    production: false,
    imageRepository: registryOf(service),
  };
}

/**
 * The deploy function's real handler (Powertools envelope, zod parse, deployBuild), quiet.
 * With `targets`, one handler serves every service of the stage, as the function does.
 */
export function drillHandler(
  deps: DeployDeps,
  targets?: readonly DeployTarget[],
): (event: unknown) => Promise<DeployResult> {
  const logger = new Logger({ serviceName: "slipway-deploy", logLevel: "SILENT" });
  const stage = oneServiceStage(deps);
  return createDeployHandler(targets ? { ...stage, targets } : stage, logger);
}

/** A run of `count` builds recorded as the webhook would, each with its real SUCCEEDED event. */
export async function seedRun(
  ledger: Ledger & LedgerInspection,
  firstSequence: number,
  count: number,
  service = "chat",
) {
  const builds = [];
  for (let sequence = firstSequence; sequence < firstSequence + count; sequence++) {
    const record = await seedDeployment(ledger, { stage: "dev", service, sequence });
    const image = digestImage(sequence, registryOf(service));
    builds.push({ record, image, event: buildEventFor("succeeded", { ...record, image }) });
  }
  return builds;
}

/** Fisher–Yates with the drill's seeded generator. */
export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const terminal: readonly DeploymentState[] = [
  DeploymentState.succeeded,
  DeploymentState.failed,
  DeploymentState.superseded,
  DeploymentState.rolledBack,
  DeploymentState.replaced,
];

/**
 * What the cluster and the ledger say after a run: each Deployment's image, each sequence's
 * state and digest, and the problems found against "the newest build runs, and the ledger
 * says so": the newest succeeded with its digest, every older one ended, none still open.
 */
export async function auditRun(
  ledger: Ledger,
  target: DeployTarget,
  runSequences: readonly number[],
): Promise<{ images: string[]; states: string[]; problems: string[] }> {
  const newest = Math.max(...runSequences);
  const want = digestImage(newest, registryOf(target.service));
  const images = await Promise.all(target.deployments.map(async (t) => (await imageOf(t)) ?? ""));
  const records = await Promise.all(
    runSequences.map((sequence) => ledger.get({ stage: "dev", service: target.service, sequence })),
  );
  const problems: string[] = [];
  images.forEach((image, i) => {
    if (image !== want)
      problems.push(`${target.deployments[i]?.name} runs ${image}, not #${newest}`);
  });
  const states = records.map((r, i) => `#${runSequences[i]}:${r?.state ?? "missing"}`);
  for (const record of records as Array<DeploymentRecord | undefined>) {
    if (record === undefined) {
      problems.push("a record is missing");
      continue;
    }
    if (record.sequence === newest) {
      if (record.state !== DeploymentState.succeeded)
        problems.push(`newest #${newest} is ${record.state}`);
      if (record.imageDigest !== want)
        problems.push(`newest #${newest} records digest ${record.imageDigest}`);
    } else if (!terminal.includes(record.state) || record.state === DeploymentState.failed) {
      problems.push(`older #${record.sequence} is ${record.state}`);
    }
  }
  const latest = (await ledger.history(target, 50)).find(
    (r) => r.state === DeploymentState.succeeded,
  );
  if (latest?.sequence !== newest)
    problems.push(`the ledger's latest success is #${latest?.sequence}, not #${newest}`);
  return { images, states, problems };
}
