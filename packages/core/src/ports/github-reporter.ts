/** A repository as GitHub names it in API paths. */
export type RepositoryRef = { owner: string; name: string };

/** GitHub's deployment status states. @see https://docs.github.com/en/rest/deployments/statuses */
export const DeploymentStatusState = {
  queued: "queued",
  inProgress: "in_progress",
  success: "success",
  failure: "failure",
  error: "error",
  inactive: "inactive",
  pending: "pending",
} as const;
export type DeploymentStatusState =
  (typeof DeploymentStatusState)[keyof typeof DeploymentStatusState];

/** GitHub's commit status states. @see https://docs.github.com/en/rest/commits/statuses */
export const CommitStatusState = {
  pending: "pending",
  success: "success",
  failure: "failure",
  error: "error",
} as const;
export type CommitStatusState = (typeof CommitStatusState)[keyof typeof CommitStatusState];

export type NewDeployment = {
  repository: RepositoryRef;
  /** The full commit SHA, so GitHub records exactly what is deployed. */
  sha: string;
  environment: string;
  description: string;
  production: boolean;
  /** Stored by GitHub with the Deployment; lets anyone trace it back to the ledger. */
  payload: Readonly<Record<string, string | number>>;
};

export type DeploymentStatus = {
  repository: RepositoryRef;
  deploymentId: number;
  state: DeploymentStatusState;
  description: string;
  logUrl?: string;
  environmentUrl?: string;
};

export type CommitStatus = {
  repository: RepositoryRef;
  sha: string;
  state: CommitStatusState;
  /** The status check's name, such as `slipway/production`. */
  context: string;
  description: string;
  targetUrl?: string;
};

/** Tells GitHub what happens to a push: a Deployment with statuses, and a commit status. */
export interface GitHubReporter {
  createDeployment(deployment: NewDeployment): Promise<{ deploymentId: number }>;
  setDeploymentStatus(status: DeploymentStatus): Promise<void>;
  setCommitStatus(status: CommitStatus): Promise<void>;
}
