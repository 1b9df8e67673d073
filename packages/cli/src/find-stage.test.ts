import { describe, expect, it } from "vitest";
import { findStage } from "./find-stage.ts";

const production = {
  stage: "production",
  region: "eu-west-1",
  ledgerTable: "slipway-production-LedgerTable",
  cluster: "slipway-production",
  lifecycleBus: "slipway-production-Lifecycle",
  registry: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-production",
  services: [
    {
      name: "chat",
      deployments: [{ namespace: "chat", name: "chat-server", container: "server" }],
    },
  ],
};

describe("findStage", () => {
  it("reads everything from the stage's own outputs", () => {
    expect(findStage({ stage: "production" }, {}, () => production)).toEqual({
      stage: "production",
      table: "slipway-production-LedgerTable",
      region: "eu-west-1",
      cluster: { kind: "eks", name: "slipway-production", region: "eu-west-1" },
      lifecycleBus: "slipway-production-Lifecycle",
      registry: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-production",
      services: production.services,
    });
  });

  it("reads no services from outputs that do not hold a valid list", () => {
    const odd = { ...production, services: [{ name: "chat", deployments: "chat-server" }] };

    expect(findStage({ stage: "production" }, {}, () => odd)).toMatchObject({ services: [] });
  });

  it("never takes another stage's outputs", () => {
    expect(findStage({ stage: "dev" }, {}, () => production)).toEqual({
      missing: [expect.stringContaining("--table")],
    });
  });

  it("knows the stage and the ledger inside `sst shell`", () => {
    const env = {
      SST_RESOURCE_App: JSON.stringify({ name: "slipway", stage: "staging" }),
      SST_RESOURCE_Ledger: JSON.stringify({ name: "slipway-staging-Ledger", arn: "arn:…" }),
      SST_RESOURCE_Lifecycle: JSON.stringify({ name: "slipway-staging-Lifecycle" }),
      AWS_REGION: "us-west-2",
    };

    expect(findStage({}, env, () => undefined)).toEqual({
      stage: "staging",
      table: "slipway-staging-Ledger",
      region: "us-west-2",
      lifecycleBus: "slipway-staging-Lifecycle",
      services: [],
    });
  });

  it("lets every flag override what the stage says", () => {
    const flags = {
      stage: "production",
      table: "other-table",
      region: "ap-south-1",
      kubeconfig: "/tmp/kubeconfig",
    };

    expect(findStage(flags, { EKS_CLUSTER_NAME: "ignored" }, () => production)).toMatchObject({
      table: "other-table",
      region: "ap-south-1",
      cluster: { kind: "kubeconfig", path: "/tmp/kubeconfig" },
    });
  });

  it("asks for the stage when nothing names it", () => {
    expect(findStage({}, {}, () => production)).toEqual({
      missing: [expect.stringContaining("--stage")],
    });
  });
});
