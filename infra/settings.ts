/**
 * Per-stage settings for everything `sst deploy --stage <stage>` creates.
 *
 * Plain data with no SST globals, so tests and scripts import it too. Edit `stages` to
 * add a stage; any stage not listed (a developer's personal stage, a PR stage) gets the
 * `dev` settings.
 */

/** Duration in the form SST documents, such as `"300 seconds"`. */
export type Seconds = `${number} seconds`;

export interface StageSettings {
  /**
   * High availability: a managed NAT gateway per AZ (instead of one small NAT instance
   * per AZ), at least two nodes, a multi-AZ database and two replicas of each workload.
   * A NAT gateway costs about $33 a month per AZ before traffic.
   */
  ha: boolean;
  /**
   * Keep the cluster, registry, ledger and database on `sst remove` and refuse to delete
   * them by accident. SST's default removal policy deletes EKS and ECR.
   */
  retain: boolean;
  /** Managed node group size. `min` is at least 2 on HA stages, one node per AZ. */
  nodes: { min: number; desired: number; max: number; instanceTypes: string[] };
  /**
   * CIDRs allowed to reach the public EKS endpoint, for operators' kubectl. Empty keeps
   * the endpoint private only; the deploy function runs inside the VPC and never needs it.
   * Never `0.0.0.0/0`: a Lambda outside the VPC has no fixed address to allow-list anyway.
   * @default []
   */
  publicEndpointCidrs: string[];
  /**
   * ACM certificate ARN for the ALB's HTTPS listener. gRPC is only exposed through the
   * ALB behind HTTPS; without a certificate only the web client is public (HTTP) and gRPC
   * stays inside the cluster.
   */
  certificateArn?: string;
  /** Public host name of the app, used for the environment URL reported to GitHub. */
  domain?: string;
  /**
   * Branch globs whose pushes deploy to this stage (`main`, `release/*`).
   * @default the stage's own name, so `sst deploy --stage alice` deploys branch `alice`
   */
  branches?: string[];
  /** Kustomize overlay in `k8s/overlays/` applied on first deploy. */
  overlay: "dev" | "production";
  /** How long the deploy function waits for a rollout before handing over to the re-check. */
  rolloutTimeout: Seconds;
  /** Email that receives Slipway's own failure alerts (DLQ, publish failures). */
  alertEmail?: string;
}

/** The Kubernetes version the cluster runs: in EKS standard support, matching the test harness. */
export const kubernetesVersion = "1.35";

/** Namespace that holds the workload; the deployer's Role is bound only here. */
export const workloadNamespace = "chat";

/** Kubernetes group the deploy function's access entry maps to; `k8s/base/rbac.yaml` binds it. */
export const deployerGroup = "slipway:deployers";

/** The Deployments one build rolls out together (server and web client share the image). */
export const workloadDeployments = [
  { name: "chat-server", container: "server" },
  { name: "chat-web", container: "web" },
] as const;

const dev: StageSettings = {
  ha: false,
  retain: false,
  nodes: { min: 2, desired: 2, max: 3, instanceTypes: ["t3.medium"] },
  publicEndpointCidrs: [],
  overlay: "dev",
  rolloutTimeout: "300 seconds",
};

const production: StageSettings = {
  branches: ["main"],
  ha: true,
  retain: true,
  nodes: { min: 2, desired: 3, max: 6, instanceTypes: ["m7i.large"] },
  publicEndpointCidrs: [],
  overlay: "production",
  rolloutTimeout: "600 seconds",
};

export const stages: Record<string, StageSettings> = { dev, production };

/** Settings for a stage, with unknown stages treated as `dev`. Fails early on a bad edit. */
export function stageSettings(stage: string): StageSettings {
  const settings = stages[stage] ?? dev;
  if (settings.ha && settings.nodes.min < 2) {
    throw new Error(`Stage "${stage}": HA stages need nodes.min >= 2 (one node per AZ).`);
  }
  if (settings.publicEndpointCidrs.includes("0.0.0.0/0")) {
    throw new Error(
      `Stage "${stage}": publicEndpointCidrs must not contain 0.0.0.0/0; list operator CIDRs or leave it empty.`,
    );
  }
  seconds(settings.rolloutTimeout);
  return settings;
}

/** Parses `"300 seconds"`; rejects anything else with the fix in the message. */
export function seconds(value: Seconds): number {
  const match = /^(\d+) seconds$/.exec(value);
  if (!match?.[1]) throw new Error(`Duration "${value}" must look like "300 seconds".`);
  return Number(match[1]);
}

/**
 * The GitHub repository CodeBuild builds, as `owner/name`. Set `SLIPWAY_GITHUB_REPOSITORY`
 * when deploying a fork; a private repository also needs the CodeConnections step in the README.
 */
export function githubRepository(env: Record<string, string | undefined> = process.env): string {
  const repository = env.SLIPWAY_GITHUB_REPOSITORY ?? "slipway-dev/slipway";
  if (!/^[\w.-]+\/[\w.-]+$/.test(repository)) {
    throw new Error(`SLIPWAY_GITHUB_REPOSITORY must look like "owner/name", got "${repository}".`);
  }
  return repository;
}
