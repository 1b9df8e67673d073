import type { Octokit } from "@octokit/rest";
import type { GitHubReporter } from "@slipway/core";

/** A GitHub call failed; the status (if any) says whether it was GitHub or the network. */
export class GitHubUnavailableError extends Error {
  override readonly name = "GitHubUnavailableError";
  readonly status: number | undefined;
  constructor(operation: string, cause: unknown) {
    const status =
      typeof cause === "object" &&
      cause !== null &&
      "status" in cause &&
      typeof cause.status === "number"
        ? cause.status
        : undefined;
    // Octokit's own message names the URL and GitHub's answer; request headers stay in `cause`.
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`GitHub ${operation} failed${status ? ` with ${status}` : ""}: ${detail}`, { cause });
    this.status = status;
  }
}

/** GitHub caps status descriptions at 140 characters and rejects longer ones. */
const description = (text: string) => (text.length > 140 ? `${text.slice(0, 139)}…` : text);

/**
 * The GitHub reporter over Octokit: Deployments, deployment statuses and commit statuses.
 * Each call is bounded by `timeoutMs`, so a slow GitHub cannot eat the webhook's 10 s.
 */
export function createGitHubReporter(options: {
  octokit: Octokit;
  timeoutMs?: number;
}): GitHubReporter {
  const { octokit } = options;
  const timeoutMs = options.timeoutMs ?? 3000;
  const call = async <T>(
    operation: string,
    run: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> => {
    try {
      return await run(AbortSignal.timeout(timeoutMs));
    } catch (error) {
      throw new GitHubUnavailableError(operation, error);
    }
  };

  return {
    createDeployment: (deployment) =>
      call("createDeployment", async (signal) => {
        const response = await octokit.rest.repos.createDeployment({
          owner: deployment.repository.owner,
          repo: deployment.repository.name,
          ref: deployment.sha,
          environment: deployment.environment,
          description: description(deployment.description),
          payload: { ...deployment.payload },
          production_environment: deployment.production,
          // Never merge the default branch in, and never block on our own pending status.
          auto_merge: false,
          required_contexts: [],
          request: { signal },
        });
        if (!("id" in response.data)) {
          throw new Error(
            `GitHub created no deployment: ${response.data.message ?? response.status}`,
          );
        }
        return { deploymentId: response.data.id };
      }),

    setDeploymentStatus: (status) =>
      call("setDeploymentStatus", async (signal) => {
        await octokit.rest.repos.createDeploymentStatus({
          owner: status.repository.owner,
          repo: status.repository.name,
          deployment_id: status.deploymentId,
          state: status.state,
          description: description(status.description),
          ...(status.logUrl === undefined ? {} : { log_url: status.logUrl }),
          ...(status.environmentUrl === undefined
            ? {}
            : { environment_url: status.environmentUrl }),
          request: { signal },
        });
      }),

    setCommitStatus: (status) =>
      call("setCommitStatus", async (signal) => {
        await octokit.rest.repos.createCommitStatus({
          owner: status.repository.owner,
          repo: status.repository.name,
          sha: status.sha,
          state: status.state,
          context: status.context,
          description: description(status.description),
          ...(status.targetUrl === undefined ? {} : { target_url: status.targetUrl }),
          request: { signal },
        });
      }),
  };
}
