import type { CommitStatus, DeploymentStatus, GitHubReporter, NewDeployment } from "@slipway/core";

/** A GitHub reporter that records every call, and can be made to fail like an outage. */
export type FakeGitHub = GitHubReporter & {
  deployments: NewDeployment[];
  deploymentStatuses: DeploymentStatus[];
  commitStatuses: CommitStatus[];
  /** While set, every call rejects with this error. */
  outage: Error | undefined;
};

export function createFakeGitHub(): FakeGitHub {
  const fake: FakeGitHub = {
    deployments: [],
    deploymentStatuses: [],
    commitStatuses: [],
    outage: undefined,
    async createDeployment(deployment) {
      if (fake.outage) throw fake.outage;
      fake.deployments.push(deployment);
      return { deploymentId: 1000 + fake.deployments.length };
    },
    async setDeploymentStatus(status) {
      if (fake.outage) throw fake.outage;
      fake.deploymentStatuses.push(status);
    },
    async setCommitStatus(status) {
      if (fake.outage) throw fake.outage;
      fake.commitStatuses.push(status);
    },
  };
  return fake;
}
