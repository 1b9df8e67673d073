import { StageConfig } from "@slipway/core";
import * as z from "@slipway/core/zod";
import {
  GitHubEnv,
  hasGitHubCredentials,
  type PushSettings,
  readGitHubSettings,
  readLifecycleSettings,
  settingsIssues,
} from "@slipway/wiring/push";

/** GitHub may sign with any secret; a short one is guessable, so refuse it at start-up. */
const minimumSecretLength = 16;

/**
 * The webhook function's environment, read once per container. The secrets arrive through
 * infra's linked sst.Secret values (see the wiring's withLinkedSecrets).
 */
export const WebhookEnv = z
  .object({
    WEBHOOK_SECRET: z.string().check(z.minLength(minimumSecretLength)),
    /**
     * Per-repository secrets, as JSON `{ "<repository id>": "<secret>" }` (the linked
     * GithubWebhookSecrets): such a repository's hook signs with its own secret only.
     */
    WEBHOOK_SECRETS: z._default(z.string(), "{}"),
    ...GitHubEnv,
    /** Per attempt, to connect and to answer; the SDK would otherwise wait forever. */
    AWS_CALL_TIMEOUT_MS: z._default(z.pipe(z.coerce.number(), z.int().check(z.positive())), 2500),
    LEDGER_TABLE: z.string().check(z.minLength(3)),
    /** Every service's lanes on this stage, each with its repository (core's StageConfig). */
    STAGE_CONFIG: z.string().check(z.minLength(2)),
    /** Below Lambda's 6 MB request limit; GitHub caps payloads at 25 MB. */
    WEBHOOK_MAX_BODY_BYTES: z._default(
      z.pipe(z.coerce.number(), z.int().check(z.positive())),
      5 * 1024 * 1024,
    ),
  })
  .check(z.refine(...hasGitHubCredentials));

/** The settings are missing or invalid; the message names variables, never their values. */
export class WebhookConfigError extends Error {
  override readonly name = "WebhookConfigError";
}

/** Parses the environment into the push side's settings, or throws WebhookConfigError. */
export function readWebhookConfig(env: NodeJS.ProcessEnv): PushSettings {
  const parsed = WebhookEnv.safeParse(env);
  if (!parsed.success) {
    throw new WebhookConfigError(`invalid settings: ${settingsIssues(parsed.error)}`);
  }
  const e = parsed.data;
  const secrets = z
    .record(
      z.string().check(z.regex(/^[1-9]\d*$/, "a repository id")),
      z.string().check(z.minLength(minimumSecretLength)),
    )
    .safeParse(parseJson(e.WEBHOOK_SECRETS));
  if (!secrets.success) {
    // Paths only: a secret's value never reaches the message.
    throw new WebhookConfigError(
      `WEBHOOK_SECRETS is invalid: ${secrets.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message.replace(/".*"/, "…")}`).join("; ")}`,
    );
  }
  let stages: StageConfig;
  try {
    stages = StageConfig.parse(JSON.parse(e.STAGE_CONFIG));
  } catch (error) {
    const detail = error instanceof z.ZodError ? settingsIssues(error) : "not JSON";
    throw new WebhookConfigError(`STAGE_CONFIG is invalid: ${detail}`);
  }
  return {
    secret: e.WEBHOOK_SECRET,
    repositorySecrets: new Map(
      Object.entries(secrets.data).map(([id, secret]) => [Number(id), secret]),
    ),
    awsCallTimeoutMs: e.AWS_CALL_TIMEOUT_MS,
    maxBodyBytes: e.WEBHOOK_MAX_BODY_BYTES,
    ledgerTable: e.LEDGER_TABLE,
    stages,
    lifecycle: readLifecycleSettings(env),
    github: readGitHubSettings(e),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return "not JSON";
  }
}
