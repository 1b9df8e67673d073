import * as z from "@slipway/core/zod";
import type { GitHubCredentials } from "@slipway/github";

/** The GitHub part of both functions' environments: an App (preferred) or a token. */
export const GitHubEnv = {
  GITHUB_TOKEN: z.optional(z.string().check(z.minLength(1))),
  GITHUB_APP_ID: z.optional(z.pipe(z.coerce.number(), z.int().check(z.positive()))),
  GITHUB_APP_PRIVATE_KEY: z.optional(z.string().check(z.minLength(1))),
  GITHUB_APP_INSTALLATION_ID: z.optional(z.pipe(z.coerce.number(), z.int().check(z.positive()))),
  /** GitHub Enterprise Server's `https://host/api/v3`; api.github.com when unset. */
  GITHUB_API_URL: z.optional(z.url()),
  GITHUB_TIMEOUT_MS: z._default(z.pipe(z.coerce.number(), z.int().check(z.positive())), 3000),
};

type GitHubEnvValues = z.infer<z.ZodMiniObject<typeof GitHubEnv>>;

/** For `.refine`: one complete set of GitHub credentials is present. */
export const hasGitHubCredentials = [
  (env: GitHubEnvValues) =>
    env.GITHUB_TOKEN !== undefined ||
    (env.GITHUB_APP_ID !== undefined &&
      env.GITHUB_APP_PRIVATE_KEY !== undefined &&
      env.GITHUB_APP_INSTALLATION_ID !== undefined),
  {
    message:
      "set GITHUB_TOKEN, or GITHUB_APP_ID with GITHUB_APP_PRIVATE_KEY and GITHUB_APP_INSTALLATION_ID",
  },
] as const;

export type GitHubSettings = {
  credentials: GitHubCredentials;
  baseUrl?: string;
  timeoutMs: number;
};

/** The parsed GitHub variables as client settings; the App wins when both are set (short-lived tokens). */
export function readGitHubSettings(env: GitHubEnvValues): GitHubSettings {
  const credentials: GitHubCredentials =
    env.GITHUB_APP_ID !== undefined && env.GITHUB_APP_PRIVATE_KEY && env.GITHUB_APP_INSTALLATION_ID
      ? {
          kind: "app",
          appId: env.GITHUB_APP_ID,
          // A PEM pasted into a one-line variable often arrives with literal "\n".
          privateKey: env.GITHUB_APP_PRIVATE_KEY.replaceAll("\\n", "\n"),
          installationId: env.GITHUB_APP_INSTALLATION_ID,
        }
      : { kind: "token", token: env.GITHUB_TOKEN ?? "" };
  return {
    credentials,
    ...(env.GITHUB_API_URL === undefined ? {} : { baseUrl: env.GITHUB_API_URL }),
    timeoutMs: env.GITHUB_TIMEOUT_MS,
  };
}

/**
 * The GitHub settings when the environment holds a complete set of credentials, else
 * undefined: an operator may run the CLI without them (reports are then marked owed).
 */
export function gitHubSettingsIfAny(env: NodeJS.ProcessEnv): GitHubSettings | undefined {
  const parsed = z.object(GitHubEnv).safeParse(env);
  if (!parsed.success || !hasGitHubCredentials[0](parsed.data)) return undefined;
  return readGitHubSettings(parsed.data);
}
