/**
 * Per-stage settings for everything `sst deploy --stage <stage>` creates.
 *
 * Plain data with no SST globals, so `sst.config.ts`, tests and scripts import it too. Edit
 * `stages` to add a stage. A stage not listed is refused, unless it is declared personal
 * (`SLIPWAY_PERSONAL=1 sst deploy --stage alice`): a developer's own small, removable stage.
 */

import { type ParsedServiceDeclaration, ServiceDeclarations } from "@slipway/core";
import { serviceFiles } from "./services/index.ts";
import type { ServiceFile } from "./services/service-file.ts";

/** Duration in the form SST documents, such as `"300 seconds"`. */
export type Seconds = `${number} seconds`;

export interface StageSettings {
  /**
   * High availability: a managed NAT gateway per AZ (instead of one small NAT instance per
   * AZ), a Multi-AZ database and at least two replicas of each workload, spread over both AZs.
   * A NAT gateway costs about $33 a month per AZ before traffic.
   */
  ha: boolean;
  /**
   * Keep the cluster, registry, ledger and database on `sst remove` and refuse to delete
   * them by accident (SST's `removal: "retain"` and `protect`). SST's default deletes EKS and ECR.
   */
  retain: boolean;
  /**
   * CIDRs allowed to reach the public EKS endpoint, for operators' kubectl. Empty keeps the
   * endpoint private only: `sst deploy` never talks to Kubernetes (the apply function inside
   * the VPC does), and neither do the deployer's functions from outside it.
   * Never `0.0.0.0/0`: a Lambda outside the VPC has no fixed address to allow-list anyway.
   * @default []
   */
  publicEndpointCidrs: string[];
  /**
   * IAM principals (role or user ARNs) that get cluster-admin through an EKS access entry, so
   * a teammate or CI can run the next `sst deploy` and kubectl. The cluster's creator gets it
   * anyway; `SLIPWAY_CLUSTER_ADMINS` (comma-separated ARNs) adds to this list.
   * @default []
   * @example ["arn:aws:iam::123456789012:role/platform-team"]
   */
  clusterAdmins: string[];
  /**
   * ACM certificate ARN for the load balancer. With one, the ALB is internet-facing, serves
   * HTTPS (HTTP redirects to it) and gRPC over HTTP/2. Without one, the ALB is internal:
   * plain HTTP inside the VPC only (reach it through `sst tunnel`), so no password ever
   * crosses the internet unencrypted, and gRPC stays inside the cluster.
   */
  certificateArn?: string;
  /** Public host name of the app (the certificate's), used for the environment URL reported to GitHub. */
  domain?: string;
  /**
   * Branch globs whose pushes deploy to this stage (`main`, `release/*`).
   * @default the stage's own name, so `sst deploy --stage alice` deploys branch `alice`
   */
  branches?: string[];
  /** Kustomize overlay in `k8s/overlays/` rendered for this stage. */
  overlay: "dev" | "production";
  /** How long the deploy function waits for a rollout before handing over to the re-check. */
  rolloutTimeout: Seconds;
  /** Email that receives Slipway's own failure alerts (DLQ, publish failures). */
  alertEmail?: string;
  /**
   * Reserved concurrency of the webhook function, which bounds what a flood of forged
   * requests can cost. Off by default: new AWS accounts have a concurrency quota of 10 and
   * Lambda refuses a reservation that leaves fewer than 10 unreserved. Raise the quota first.
   * @default undefined (no reservation)
   */
  webhookReservedConcurrency?: number;
  /**
   * Days the EKS control-plane logs (api, audit, authenticator) are kept. EKS would create
   * their log group with no expiry, which bills for ever.
   * @default 30
   */
  controlPlaneLogDays: number;
}

/** The Kubernetes version the cluster runs: in EKS standard support, matching the test harness. */
export const kubernetesVersion = "1.35";

/** Kubernetes group the deploy function's access entry maps to; each service's Role binds it in its namespace. */
export const deployerGroup = "slipway:deployers";

/**
 * What a Deployment runs between its creation and the deployer's first rollout: the API
 * server refuses a container without an image. The pause image, from ECR Public (Docker Hub
 * rate-limits AWS's shared addresses): the pods are never Ready, and nothing is served, until
 * the first push deploys a real image.
 */
export const bootstrapImage = "public.ecr.aws/eks-distro/kubernetes/pause:3.10";

const dev: StageSettings = {
  ha: false,
  retain: false,
  publicEndpointCidrs: [],
  clusterAdmins: [],
  overlay: "dev",
  rolloutTimeout: "300 seconds",
  controlPlaneLogDays: 14,
};

const production: StageSettings = {
  branches: ["main"],
  ha: true,
  retain: true,
  publicEndpointCidrs: [],
  clusterAdmins: [],
  overlay: "production",
  rolloutTimeout: "600 seconds",
  controlPlaneLogDays: 90,
};

export const stages: Record<string, StageSettings> = { dev, production };

/** A personal stage: dev's settings, removable, deploying the branch named like the stage. */
const personal: StageSettings = { ...dev, controlPlaneLogDays: 7 };

/**
 * Settings for a stage. An unknown stage is an error (a typo such as `prod` must not get
 * dev's settings silently) unless `SLIPWAY_PERSONAL=1` declares it personal. Fails early,
 * with the fix in the message, on a bad edit.
 */
export function stageSettings(
  stage: string,
  env: Record<string, string | undefined> = process.env,
): StageSettings {
  const listed = stages[stage];
  if (!listed && env.SLIPWAY_PERSONAL !== "1") {
    throw new Error(
      `Unknown stage "${stage}". Known stages: ${Object.keys(stages).join(", ")}. ` +
        `Add it to infra/settings.ts, or declare a personal stage with SLIPWAY_PERSONAL=1.`,
    );
  }
  const settings = structuredClone(listed ?? personal);
  if (settings.publicEndpointCidrs.includes("0.0.0.0/0")) {
    throw new Error(
      `Stage "${stage}": publicEndpointCidrs must not contain 0.0.0.0/0; list operator CIDRs or leave it empty.`,
    );
  }
  if (settings.domain && !settings.certificateArn) {
    throw new Error(
      `Stage "${stage}": a domain needs its certificateArn (the ALB serves it over HTTPS).`,
    );
  }
  const reserved = settings.webhookReservedConcurrency;
  if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 1)) {
    throw new Error(
      `Stage "${stage}": webhookReservedConcurrency must be a positive integer or unset.`,
    );
  }
  settings.clusterAdmins = [...settings.clusterAdmins, ...listOf(env.SLIPWAY_CLUSTER_ADMINS)];
  for (const arn of settings.clusterAdmins) {
    if (!/^arn:aws[\w-]*:(iam|sts)::\d{12}:(role|user|assumed-role)\/.+/.test(arn)) {
      throw new Error(`Stage "${stage}": cluster admin "${arn}" is not an IAM role or user ARN.`);
    }
  }
  seconds(settings.rolloutTimeout);
  return settings;
}

function listOf(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Parses `"300 seconds"`; rejects anything else with the fix in the message. */
export function seconds(value: Seconds): number {
  const match = /^(\d+) seconds$/.exec(value);
  if (!match?.[1]) throw new Error(`Duration "${value}" must look like "300 seconds".`);
  return Number(match[1]);
}

/**
 * The repository this checkout deploys from, for the services declared in it
 * (`repository: "this-repository"`): `owner/name` from `SLIPWAY_GITHUB_REPOSITORY` and the
 * numeric id from `SLIPWAY_GITHUB_REPOSITORY_ID`. The webhook refuses a push unless both id
 * and name match (a name can be re-created by someone else; the id cannot). Required when a
 * service names it: a default would build someone else's code. Find the id with
 * `gh api repos/<owner>/<name> --jq .id`, or in any push delivery's `repository.id`.
 */
export function thisRepository(env: Record<string, string | undefined> = process.env): {
  fullName: string;
  id: number;
} {
  const repository = env.SLIPWAY_GITHUB_REPOSITORY;
  if (!repository) {
    throw new Error(
      'Set SLIPWAY_GITHUB_REPOSITORY to this repository, as "owner/name" (a service in infra/services/ names "this-repository").',
    );
  }
  if (!/^[\w.-]+\/[\w.-]+$/.test(repository)) {
    throw new Error(`SLIPWAY_GITHUB_REPOSITORY must look like "owner/name", got "${repository}".`);
  }
  const value = env.SLIPWAY_GITHUB_REPOSITORY_ID;
  if (!value) {
    throw new Error(
      "Set SLIPWAY_GITHUB_REPOSITORY_ID to the repository's numeric id (gh api repos/<owner>/<name> --jq .id).",
    );
  }
  if (!/^[1-9]\d*$/.test(value)) {
    throw new Error(`SLIPWAY_GITHUB_REPOSITORY_ID must be a positive integer, got "${value}".`);
  }
  return { fullName: repository, id: Number(value) };
}

/**
 * Every declared service (infra/services/), checked by zod: a bad file fails `sst deploy`
 * before anything is created, naming the service and the field.
 */
export function services(
  env: Record<string, string | undefined> = process.env,
  files: readonly ServiceFile[] = serviceFiles,
): ParsedServiceDeclaration[] {
  const resolved = files.map((file) => ({
    ...file,
    repository: file.repository === "this-repository" ? thisRepository(env) : file.repository,
  }));
  const parsed = ServiceDeclarations.safeParse(resolved);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((issue) => {
        const index = issue.path[0];
        const service =
          typeof index === "number" ? (files[index]?.name ?? `#${index}`) : "services";
        return `${service}: ${issue.path.slice(1).join(".") || "(root)"}: ${issue.message}`;
      })
      .join("; ");
    throw new Error(`infra/services/ is invalid: ${issues}`);
  }
  return parsed.data;
}

/**
 * The CodeConnections connection (`arn:aws:codeconnections:…:connection/…`) CodeBuild uses to
 * fetch a private repository, from `SLIPWAY_CODECONNECTION_ARN`. Creating it takes one step
 * in the console (the README names it). Unset for a public repository.
 */
export function codeConnectionArn(
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  const arn = env.SLIPWAY_CODECONNECTION_ARN;
  if (arn === undefined || arn === "") return undefined;
  if (
    !/^arn:aws[\w-]*:(codeconnections|codestar-connections):[\w-]+:\d{12}:connection\/[\w-]+$/.test(
      arn,
    )
  ) {
    throw new Error(
      `SLIPWAY_CODECONNECTION_ARN must be a CodeConnections connection ARN, got "${arn}".`,
    );
  }
  return arn;
}
