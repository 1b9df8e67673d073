import { StageConfig } from "@slipway/core";
import type { GitHubCredentials } from "@slipway/github";
import { z } from "zod";
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
    GITHUB_TOKEN: z.string().min(1).optional(),
    GITHUB_APP_ID: z.coerce.number().int().positive().optional(),
    GITHUB_APP_PRIVATE_KEY: z.string().min(1).optional(),
    GITHUB_APP_INSTALLATION_ID: z.coerce.number().int().positive().optional(),
    /** GitHub Enterprise Server's `https://host/api/v3`; api.github.com when unset. */
    GITHUB_API_URL: z.url().optional(),
    GITHUB_TIMEOUT_MS: z.coerce.number().int().positive().default(3000),
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
  .refine(
    (env) =>
      env.GITHUB_TOKEN !== undefined ||
      (env.GITHUB_APP_ID !== undefined &&
        env.GITHUB_APP_PRIVATE_KEY !== undefined &&
        env.GITHUB_APP_INSTALLATION_ID !== undefined),
    {
      message:
        "set GITHUB_TOKEN, or GITHUB_APP_ID with GITHUB_APP_PRIVATE_KEY and GITHUB_APP_INSTALLATION_ID",
    },
  );

export type WebhookConfig = {
  secret: string;
  awsCallTimeoutMs: number;
  maxBodyBytes: number;
  ledgerTable: string;
  stages: StageConfig;
  github: { credentials: GitHubCredentials; baseUrl?: string; timeoutMs: number };
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
  // The App is preferred when both are set: its tokens are short-lived.
  const credentials: GitHubCredentials =
    e.GITHUB_APP_ID !== undefined && e.GITHUB_APP_PRIVATE_KEY && e.GITHUB_APP_INSTALLATION_ID
      ? {
          kind: "app",
          appId: e.GITHUB_APP_ID,
          // A PEM pasted into a one-line variable often arrives with literal "\n".
          privateKey: e.GITHUB_APP_PRIVATE_KEY.replaceAll("\\n", "\n"),
          installationId: e.GITHUB_APP_INSTALLATION_ID,
        }
      : { kind: "token", token: e.GITHUB_TOKEN ?? "" };
  return {
    secret: e.WEBHOOK_SECRET,
    awsCallTimeoutMs: e.AWS_CALL_TIMEOUT_MS,
    maxBodyBytes: e.WEBHOOK_MAX_BODY_BYTES,
    ledgerTable: e.LEDGER_TABLE,
    stages,
    lifecycle: readLifecycleSettings(env),
    github: {
      credentials,
      ...(e.GITHUB_API_URL === undefined ? {} : { baseUrl: e.GITHUB_API_URL }),
      timeoutMs: e.GITHUB_TIMEOUT_MS,
    },
  };
}

// Paths and messages only: zod's messages here never echo the values.
function issuesOf(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(settings)"}: ${i.message}`).join("; ");
}
