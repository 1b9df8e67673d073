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
    ...GitHubEnv,
    /** Per attempt, to connect and to answer; the SDK would otherwise wait forever. */
    AWS_CALL_TIMEOUT_MS: z._default(z.pipe(z.coerce.number(), z.int().check(z.positive())), 2500),
    /** The one repository this stage builds, as `owner/name` (infra: SLIPWAY_GITHUB_REPOSITORY). */
    GITHUB_REPOSITORY: z.string().check(z.regex(/^[\w.-]+\/[\w.-]+$/, "owner/name")),
    /** Its numeric id, which survives renames (infra: SLIPWAY_GITHUB_REPOSITORY_ID). */
    GITHUB_REPOSITORY_ID: z.pipe(z.coerce.number(), z.int().check(z.positive())),
    LEDGER_TABLE: z.string().check(z.minLength(3)),
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
  let stages: StageConfig;
  try {
    stages = StageConfig.parse(JSON.parse(e.STAGE_CONFIG));
  } catch (error) {
    const detail = error instanceof z.ZodError ? settingsIssues(error) : "not JSON";
    throw new WebhookConfigError(`STAGE_CONFIG is invalid: ${detail}`);
  }
  return {
    secret: e.WEBHOOK_SECRET,
    awsCallTimeoutMs: e.AWS_CALL_TIMEOUT_MS,
    maxBodyBytes: e.WEBHOOK_MAX_BODY_BYTES,
    ledgerTable: e.LEDGER_TABLE,
    stages,
    repository: { fullName: e.GITHUB_REPOSITORY, id: e.GITHUB_REPOSITORY_ID },
    lifecycle: readLifecycleSettings(env),
    github: readGitHubSettings(e),
  };
}
