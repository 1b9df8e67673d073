import { type GitHubReporter, RefusedError, TransientError } from "@slipway/core";
import type { GitHubClient } from "./github-client.ts";

/**
 * A failed GitHub call as core's errors, as the Kubernetes adapter does: 408, 429 and 5xx, a
 * timeout or a dropped connection → TransientError; any other answer → RefusedError with its
 * status. Octokit's message (the URL and GitHub's answer, never the request headers) is kept
 * in the operation, so the log says what GitHub said; the request itself stays in `cause`.
 */
function translateGitHubError(operation: string, error: unknown): Error {
  const status =
    typeof error === "object" &&
    error !== null &&
    "status" in error &&
    typeof error.status === "number"
      ? error.status
      : undefined;
  const detail = error instanceof Error ? error.message : String(error);
  const what = `GitHub ${operation}: ${detail}`;
  if (status === undefined || status === 408 || status === 429 || status >= 500) {
    return new TransientError(what, { cause: error });
  }
  return new RefusedError(what, status, { cause: error });
}

/** GitHub caps status descriptions at 140 characters and rejects longer ones. */
const description = (text: string) => (text.length > 140 ? `${text.slice(0, 139)}…` : text);

/**
 * The GitHub reporter over Octokit: Deployments, deployment statuses and commit statuses.
 * Each call is bounded by `timeoutMs`, so a slow GitHub cannot eat the webhook's 10 s.
 */
export function createGitHubReporter(options: {
  octokit: GitHubClient;
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
      throw translateGitHubError(operation, error);
    }
  };

  return {
    createDeployment: (deployment) =>
      call("createDeployment", async (signal) => {
        const response = await octokit.request("POST /repos/{owner}/{repo}/deployments", {
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
        // GitHub's ids fit in a double; the OpenAPI types allow bigint for int64.
        return { deploymentId: Number(response.data.id) };
      }),

    setDeploymentStatus: (status) =>
      call("setDeploymentStatus", async (signal) => {
        await octokit.request("POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", {
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
        await octokit.request("POST /repos/{owner}/{repo}/statuses/{sha}", {
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
