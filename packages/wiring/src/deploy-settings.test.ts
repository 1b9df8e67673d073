import { describe, expect, it } from "vitest";
import { DeployConfigError, readDeploySettings } from "./deploy-settings.ts";

const imageRepository = "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-dev";
const repository = { fullName: "acme/chat", id: 1 };
const stage = {
  name: "dev",
  service: "chat",
  repository,
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
      targets: [
        {
          stage: "dev",
          service: "chat",
          deployments: [
            { namespace: "chat", name: "chat-server", container: "server" },
            { namespace: "chat", name: "chat-web", container: "web" },
          ],
        },
      ],
      cluster: { kind: "eks", name: "slipway-dev", region: "us-east-1" },
      rolloutTimeoutMs: 300_000,
    });
  });

  it("takes every service of this stage from STAGE_CONFIG, the webhook's lanes, and no other stage's", () => {
    const stages = {
      stages: [
        {
          name: "dev",
          service: "chat",
          repository,
          branches: ["main"],
          codebuildProject: "slipway-dev",
          imageRepository,
          deployments: [{ namespace: "chat", name: "chat-server", container: "server" }],
          environmentUrl: "https://chat.example.test",
          production: true,
        },
        {
          name: "dev",
          service: "greeter",
          repository: { fullName: "acme/greeter", id: 2 },
          branches: ["main"],
          codebuildProject: "slipway-dev-greeter",
          imageRepository: `${imageRepository}-greeter`,
          deployments: [{ namespace: "greeter", name: "greeter", container: "greeter" }],
        },
        {
          name: "production",
          service: "chat",
          repository,
          branches: ["main"],
          codebuildProject: "slipway-production",
          imageRepository,
          deployments: [{ namespace: "chat", name: "chat-server", container: "server" }],
        },
      ],
    };

    const config = readDeploySettings({ ...base, STAGE_CONFIG: JSON.stringify(stages) });

    expect(config.targets).toEqual([
      {
        stage: "dev",
        service: "chat",
        codebuildProject: "slipway-dev",
        deployments: [{ namespace: "chat", name: "chat-server", container: "server" }],
        environmentUrl: "https://chat.example.test",
        production: true,
        imageRepository,
      },
      {
        stage: "dev",
        service: "greeter",
        codebuildProject: "slipway-dev-greeter",
        deployments: [{ namespace: "greeter", name: "greeter", container: "greeter" }],
        production: false,
        imageRepository: `${imageRepository}-greeter`,
      },
    ]);
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
