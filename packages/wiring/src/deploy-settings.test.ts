import { describe, expect, it } from "vitest";
import { DeployConfigError, readDeploySettings } from "./deploy-settings.ts";

const imageRepository = "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-dev";
const stage = {
  name: "dev",
  branches: ["main"],
  codebuildProject: "slipway-dev",
  imageRepository,
  deployments: [
    { namespace: "chat", name: "chat-server", container: "server" },
    { namespace: "chat", name: "chat-web", container: "web" },
  ],
};
const base = {
  SLIPWAY_STAGE: "dev",
  STAGE_CONFIG: JSON.stringify({ stages: [stage] }),
  LEDGER_TABLE: "slipway-ledger",
  EKS_CLUSTER_NAME: "slipway-dev",
  GITHUB_TOKEN: "ghp_token_value",
  ROLLOUT_TIMEOUT_SECONDS: "300",
};

describe("readDeploySettings", () => {
  it("reads the stage's Deployments, the EKS cluster and the rollout bound", () => {
    expect(readDeploySettings(base)).toMatchObject({
      target: {
        stage: "dev",
        deployments: [
          { namespace: "chat", name: "chat-server", container: "server" },
          { namespace: "chat", name: "chat-web", container: "web" },
        ],
      },
      cluster: { kind: "eks", name: "slipway-dev", region: "us-east-1" },
      rolloutTimeoutMs: 300_000,
    });
  });

  it("takes the stage from STAGE_CONFIG, the webhook's stage list", () => {
    const stages = {
      stages: [
        {
          name: "dev",
          branches: ["main"],
          codebuildProject: "slipway-dev",
          imageRepository,
          deployments: [{ namespace: "chat", name: "chat-server", container: "server" }],
          environmentUrl: "https://chat.example.test",
          production: true,
        },
      ],
    };

    const config = readDeploySettings({ ...base, STAGE_CONFIG: JSON.stringify(stages) });

    expect(config.target).toEqual({
      stage: "dev",
      deployments: [{ namespace: "chat", name: "chat-server", container: "server" }],
      environmentUrl: "https://chat.example.test",
      production: true,
      imageRepository,
    });
  });

  it("refuses a stage without its image repository: nothing would bound what deploys", () => {
    const { imageRepository: _, ...unbounded } = stage;

    expect(() =>
      readDeploySettings({ ...base, STAGE_CONFIG: JSON.stringify({ stages: [unbounded] }) }),
    ).toThrow(/stages\.0\.imageRepository/);
  });

  it("refuses a Deployment listed without its container", () => {
    const noContainer = { ...stage, deployments: [{ namespace: "chat", name: "chat-server" }] };

    expect(() =>
      readDeploySettings({ ...base, STAGE_CONFIG: JSON.stringify({ stages: [noContainer] }) }),
    ).toThrow(DeployConfigError);
  });

  it("refuses a STAGE_CONFIG without this function's stage, naming the variables", () => {
    expect(() => readDeploySettings({ ...base, SLIPWAY_STAGE: "staging" })).toThrow(
      /STAGE_CONFIG has no stage named SLIPWAY_STAGE/,
    );
  });

  it("refuses a setup with neither an EKS cluster nor a kubeconfig, naming the variables", () => {
    const { EKS_CLUSTER_NAME: _, ...withoutCluster } = base;

    expect(() => readDeploySettings(withoutCluster)).toThrow(/EKS_CLUSTER_NAME/);
  });

  it("never echoes a secret it refuses", () => {
    const { GITHUB_TOKEN: _, ...withoutToken } = base;

    expect(() =>
      readDeploySettings({ ...withoutToken, GITHUB_APP_PRIVATE_KEY: "secret-pem" }),
    ).not.toThrow(/secret-pem/);
  });
});
