import { StageConfig } from "@slipway/core";
import { z } from "zod";
import {
  GitHubEnv,
  type GitHubSettings,
  hasGitHubCredentials,
  readGitHubSettings,
} from "./github-settings.ts";
import { type LifecycleSettings, readLifecycleSettings } from "./lifecycle-publishing.ts";

/** GitHub may sign with any secret; a short one is guessable, so refuse it at start-up. */
const minimumSecretLength = 16;

/**
 * The webhook function's settings, read once per container. Secrets arrive as environment
 * variables today; when infra links sst.Secret values, only this module changes (to
 * `Resource.WebhookSecret.value` and friends).
 */
export const WebhookEnv = z
  .object({
    WEBHOOK_SECRET: z.string().min(minimumSecretLength),
    ...GitHubEnv,
    /** Per attempt, to connect and to answer; the SDK would otherwise wait forever. */
    AWS_CALL_TIMEOUT_MS: z.coerce.number().int().positive().default(2500),
    LEDGER_TABLE: z.string().min(3),
    STAGE_CONFIG: z.string().min(2),
    /** Below Lambda's 6 MB request limit; GitHub caps payloads at 25 MB. */
    WEBHOOK_MAX_BODY_BYTES: z.coerce
      .number()
      .int()
      .positive()
      .default(5 * 1024 * 1024),
  })
  .refine(...hasGitHubCredentials);

export type WebhookConfig = {
  secret: string;
  awsCallTimeoutMs: number;
  maxBodyBytes: number;
  ledgerTable: string;
  stages: StageConfig;
  github: GitHubSettings;
  lifecycle: LifecycleSettings;
};

/** The settings are missing or invalid; the message names variables, never their values. */
export class WebhookConfigError extends Error {
  override readonly name = "WebhookConfigError";
}

/** Parses the environment into the webhook's settings, or throws WebhookConfigError. */
export function readWebhookConfig(env: NodeJS.ProcessEnv): WebhookConfig {
  const parsed = WebhookEnv.safeParse(env);
  if (!parsed.success) throw new WebhookConfigError(`invalid settings: ${issuesOf(parsed.error)}`);
  const e = parsed.data;
  let stages: StageConfig;
  try {
    stages = StageConfig.parse(JSON.parse(e.STAGE_CONFIG));
  } catch (error) {
    const detail = error instanceof z.ZodError ? issuesOf(error) : "not JSON";
    throw new WebhookConfigError(`STAGE_CONFIG is invalid: ${detail}`);
  }
  return {
    secret: e.WEBHOOK_SECRET,
    awsCallTimeoutMs: e.AWS_CALL_TIMEOUT_MS,
    maxBodyBytes: e.WEBHOOK_MAX_BODY_BYTES,
    ledgerTable: e.LEDGER_TABLE,
    stages,
    lifecycle: readLifecycleSettings(env),
    github: readGitHubSettings(e),
  };
}

// Paths and messages only: zod's messages here never echo the values.
function issuesOf(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(settings)"}: ${i.message}`).join("; ");
}
