import { describe, expect, it } from "vitest";
import { readWebhookConfig, WebhookConfigError } from "./webhook-config.ts";

const stages = JSON.stringify({
  stages: [
    {
      name: "production",
      service: "chat",
      repository: { fullName: "Codertocat/Hello-World", id: 186853002 },
      branches: ["main"],
      codebuildProject: "slipway-production",
      imageRepository: "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-production",
      deployments: [{ namespace: "chat", name: "chat-server", container: "server" }],
    },
  ],
});
const base = {
  WEBHOOK_SECRET: "a-webhook-secret-long-enough",
  GITHUB_TOKEN: "ghp_token_value",
  LEDGER_TABLE: "slipway-ledger",
  STAGE_CONFIG: stages,
};

describe("readWebhookConfig", () => {
  it("reads a token setup with defaults for the limits", () => {
    const config = readWebhookConfig(base);

    expect(config).toMatchObject({
      secret: base.WEBHOOK_SECRET,
      maxBodyBytes: 5 * 1024 * 1024,
      awsCallTimeoutMs: 2500,
      ledgerTable: "slipway-ledger",
      github: { credentials: { kind: "token", token: "ghp_token_value" }, timeoutMs: 3000 },
      stages: { stages: [expect.objectContaining({ name: "production", stopOlderBuilds: false })] },
    });
  });

  it("prefers GitHub App credentials and restores newlines in a one-line private key", () => {
    const config = readWebhookConfig({
      ...base,
      GITHUB_APP_ID: "123",
      GITHUB_APP_INSTALLATION_ID: "456",
      GITHUB_APP_PRIVATE_KEY: "-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----",
    });

    expect(config.github?.credentials).toEqual({
      kind: "app",
      appId: 123,
      installationId: 456,
      privateKey: "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----",
    });
  });

  it("refuses a short webhook secret, naming the variable but not its value", () => {
    expect(() => readWebhookConfig({ ...base, WEBHOOK_SECRET: "hunter2" })).toThrow(
      expect.objectContaining({
        name: "WebhookConfigError",
        message: expect.stringMatching(/WEBHOOK_SECRET/),
      }),
    );
    expect(() => readWebhookConfig({ ...base, WEBHOOK_SECRET: "hunter2" })).not.toThrow(/hunter2/);
  });

  it("refuses a setup with no GitHub credentials", () => {
    const { GITHUB_TOKEN: _, ...withoutToken } = base;

    expect(() => readWebhookConfig(withoutToken)).toThrow(/GITHUB_TOKEN, or GITHUB_APP_ID/);
  });

  it("refuses a stage config that is not JSON or not valid", () => {
    expect(() => readWebhookConfig({ ...base, STAGE_CONFIG: "{stages" })).toThrow(
      WebhookConfigError,
    );
    expect(() => readWebhookConfig({ ...base, STAGE_CONFIG: '{"stages":[]}' })).toThrow(
      /STAGE_CONFIG is invalid: stages/,
    );
  });
});

describe("readWebhookConfig: secrets per repository", () => {
  it("reads WEBHOOK_SECRETS as a map from repository id to secret", () => {
    const config = readWebhookConfig({
      ...base,
      WEBHOOK_SECRETS: JSON.stringify({ "4242": "the greeter's own long secret" }),
    });

    expect(config.repositorySecrets).toEqual(new Map([[4242, "the greeter's own long secret"]]));
  });

  it("refuses a short per-repository secret or a key that is no repository id, never echoing a value", () => {
    for (const secrets of [{ "4242": "short" }, { "acme/greeter": "a long enough secret value" }]) {
      const read = () => readWebhookConfig({ ...base, WEBHOOK_SECRETS: JSON.stringify(secrets) });
      expect(read).toThrow(/WEBHOOK_SECRETS is invalid/);
      expect(read).not.toThrow(/short|long enough/);
    }
  });
});
