import { describe, expect, it } from "vitest";
import { DeployConfigError, readDeployConfig } from "./deploy-config.ts";

const base = {
  SLIPWAY_STAGE: "dev",
  LEDGER_TABLE: "slipway-ledger",
  EKS_CLUSTER_NAME: "slipway-dev",
  GITHUB_TOKEN: "ghp_token_value",
  WORKLOAD_NAMESPACE: "chat",
  WORKLOAD_DEPLOYMENTS: "chat-server:server,chat-web:web",
  ROLLOUT_TIMEOUT_SECONDS: "300",
};

describe("readDeployConfig", () => {
  it("reads the stage's Deployments, the EKS cluster and the rollout bound", () => {
    expect(readDeployConfig(base)).toMatchObject({
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

  it("takes the stage from STAGE_CONFIG, the webhook's stage list, when it is set", () => {
    const stages = {
      stages: [
        {
          name: "dev",
          branches: ["main"],
          codebuildProject: "slipway-dev",
          deployments: [{ namespace: "chat", name: "chat-server", container: "server" }],
          environmentUrl: "https://chat.example.test",
          production: true,
        },
      ],
    };

    const config = readDeployConfig({ ...base, STAGE_CONFIG: JSON.stringify(stages) });

    expect(config.target).toEqual({
      stage: "dev",
      deployments: [{ namespace: "chat", name: "chat-server", container: "server" }],
      environmentUrl: "https://chat.example.test",
      production: true,
    });
  });

  it("refuses a Deployment listed without its container", () => {
    expect(() =>
      readDeployConfig({ ...base, WORKLOAD_DEPLOYMENTS: "chat-server,chat-web" }),
    ).toThrow(DeployConfigError);
  });

  it("refuses a setup with neither an EKS cluster nor a kubeconfig, naming the variables", () => {
    const { EKS_CLUSTER_NAME: _, ...withoutCluster } = base;

    expect(() => readDeployConfig(withoutCluster)).toThrow(/EKS_CLUSTER_NAME/);
  });

  it("never echoes a secret it refuses", () => {
    const { GITHUB_TOKEN: _, ...withoutToken } = base;

    expect(() =>
      readDeployConfig({ ...withoutToken, GITHUB_APP_PRIVATE_KEY: "secret-pem" }),
    ).not.toThrow(/secret-pem/);
  });
});
