import { describe, expect, it } from "vitest";
import { wireDeployerAdapters } from "./deployer-adapters.ts";

const log = { info() {}, warn() {}, error() {} };
const repository = { owner: "acme", name: "chat" };

describe("wireDeployerAdapters", () => {
  it("wires a GitHub reporter that says what is missing when there are no credentials", async () => {
    const { github, settled } = wireDeployerAdapters(
      { awsCallTimeoutMs: 100, region: "us-east-1", ledgerTable: "t", lifecycle: { stage: "dev" } },
      log,
    );

    await expect(
      github.setCommitStatus({
        repository,
        sha: "a".repeat(40),
        state: "pending",
        context: "slipway/dev",
        description: "queued",
      }),
    ).rejects.toThrow(/no GitHub credentials/);
    await expect(settled()).resolves.toBeUndefined();
  });
});
