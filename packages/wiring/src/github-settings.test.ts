import { describe, expect, it } from "vitest";
import { gitHubSettingsIfAny } from "./github-settings.ts";

describe("gitHubSettingsIfAny", () => {
  it("prefers a complete GitHub App to a token, as the functions do", () => {
    const settings = gitHubSettingsIfAny({
      GITHUB_TOKEN: "ghp_token_value",
      GITHUB_APP_ID: "123",
      GITHUB_APP_INSTALLATION_ID: "456",
      GITHUB_APP_PRIVATE_KEY: "-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----",
    });

    expect(settings?.credentials).toMatchObject({ kind: "app", appId: 123, installationId: 456 });
  });

  it("reads a token alone", () => {
    expect(gitHubSettingsIfAny({ GITHUB_TOKEN: "ghp_token_value" })).toEqual({
      credentials: { kind: "token", token: "ghp_token_value" },
      timeoutMs: 3000,
    });
  });

  it("has none without a complete set of credentials, so the CLI runs and reports are owed", () => {
    expect(gitHubSettingsIfAny({})).toBeUndefined();
    expect(gitHubSettingsIfAny({ GITHUB_APP_ID: "123" })).toBeUndefined();
  });
});
