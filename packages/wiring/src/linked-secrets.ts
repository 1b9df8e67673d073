import { Resource } from "sst";

/**
 * The sst.Secret values infra links to the deployer functions, under the environment names
 * the config schemas read. An explicitly set variable wins (tests, local runs); an empty
 * placeholder (the GitHub App secrets when a stage uses a token) counts as unset.
 */
const linkedSecrets = {
  WEBHOOK_SECRET: "GithubWebhookSecret",
  WEBHOOK_SECRETS: "GithubWebhookSecrets",
  GITHUB_TOKEN: "GithubToken",
  GITHUB_APP_ID: "GithubAppId",
  GITHUB_APP_PRIVATE_KEY: "GithubAppPrivateKey",
  GITHUB_APP_INSTALLATION_ID: "GithubAppInstallationId",
} as const;

type LinkedResources = Record<string, { value?: unknown } | undefined>;

export function withLinkedSecrets(
  env: NodeJS.ProcessEnv,
  resources: LinkedResources = Resource as unknown as LinkedResources,
): NodeJS.ProcessEnv {
  const merged = { ...env };
  for (const [variable, secret] of Object.entries(linkedSecrets)) {
    if (merged[variable]) continue;
    const value = linkedValue(resources, secret);
    if (value) merged[variable] = value;
  }
  return merged;
}

function linkedValue(resources: LinkedResources, name: string): string | undefined {
  try {
    const value = resources[name]?.value;
    return typeof value === "string" ? value : undefined;
  } catch {
    // SST's Resource throws for a name that is not linked: outside AWS, or not this function's.
    return undefined;
  }
}
