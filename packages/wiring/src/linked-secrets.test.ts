import { afterEach, describe, expect, it } from "vitest";
import { withLinkedSecrets } from "./linked-secrets.ts";

// SST passes linked resources to the function as SST_RESOURCE_<name> JSON variables.
const linked = [
  "SST_RESOURCE_GithubWebhookSecret",
  "SST_RESOURCE_GithubToken",
  "SST_RESOURCE_GithubAppId",
];

afterEach(() => {
  for (const name of linked) delete process.env[name];
});

describe("withLinkedSecrets", () => {
  it("reads linked sst.Secret values under the names the config expects", () => {
    process.env.SST_RESOURCE_GithubWebhookSecret = JSON.stringify({
      type: "sst.sst.Secret",
      value: "linked-secret-value",
    });
    process.env.SST_RESOURCE_GithubToken = JSON.stringify({
      type: "sst.sst.Secret",
      value: "ghp_linked",
    });

    const env = withLinkedSecrets({ LEDGER_TABLE: "ledger" });

    expect(env).toMatchObject({
      WEBHOOK_SECRET: "linked-secret-value",
      GITHUB_TOKEN: "ghp_linked",
      LEDGER_TABLE: "ledger",
    });
  });

  it("lets an explicitly set variable win and treats empty placeholders as unset", () => {
    process.env.SST_RESOURCE_GithubWebhookSecret = JSON.stringify({
      type: "sst.sst.Secret",
      value: "linked",
    });
    process.env.SST_RESOURCE_GithubAppId = JSON.stringify({ type: "sst.sst.Secret", value: "" });

    const env = withLinkedSecrets({ WEBHOOK_SECRET: "explicit" });

    expect(env.WEBHOOK_SECRET).toBe("explicit");
    expect(env).not.toHaveProperty("GITHUB_APP_ID");
  });

  it("changes nothing when no secret is linked", () => {
    expect(withLinkedSecrets({ A: "1" }, {})).toEqual({ A: "1" });
  });
});
