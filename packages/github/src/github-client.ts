import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/core";
import { requestLog } from "@octokit/plugin-request-log";

/**
 * Octokit's core with the request log (each failed request, to `log`), without
 * @octokit/rest's table of every REST endpoint (82 KiB bundled): the reporter makes three
 * calls, named by route, which Octokit's types check as the table did.
 */
const SlipwayOctokit = Octokit.plugin(requestLog);
export type GitHubClient = InstanceType<typeof SlipwayOctokit>;

/**
 * How Slipway authenticates to GitHub. A GitHub App is preferred: its installation tokens
 * live an hour and are minted on demand (and cached) by @octokit/auth-app. It needs the
 * `deployments: write` and `statuses: write` permissions.
 */
export type GitHubCredentials =
  | { kind: "token"; token: string }
  | { kind: "app"; appId: number; privateKey: string; installationId: number };

export type GitHubClientOptions = {
  /** GitHub Enterprise Server's `https://host/api/v3`, or a test stand-in. */
  baseUrl?: string;
  /** Replaces the global fetch (tests serve GitHub's contract in-process). */
  fetch?: typeof fetch;
  /**
   * Where Octokit reports each failed request (method, path, status, duration; never headers).
   * Octokit's default is console.error, which bypasses structured logging.
   */
  log?: OctokitLog;
};

type OctokitLog = {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
};

/** An Octokit client authenticated with a token or as an App installation. */
export function createGitHubClient(
  credentials: GitHubCredentials,
  options: GitHubClientOptions = {},
): GitHubClient {
  const common = {
    userAgent: "slipway",
    ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl.replace(/\/$/, "") }),
    ...(options.fetch === undefined ? {} : { request: { fetch: options.fetch } }),
    ...(options.log === undefined ? {} : { log: options.log }),
  };
  if (credentials.kind === "token")
    return new SlipwayOctokit({ ...common, auth: credentials.token });
  return new SlipwayOctokit({
    ...common,
    authStrategy: createAppAuth,
    auth: {
      appId: credentials.appId,
      privateKey: credentials.privateKey,
      installationId: credentials.installationId,
    },
  });
}
