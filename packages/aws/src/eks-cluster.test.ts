import { DescribeClusterCommand, EKSClient } from "@aws-sdk/client-eks";
import { TransientError } from "@slipway/core";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { createEksCluster } from "./eks-cluster.ts";

const eks = mockClient(EKSClient);
const credentials = async () => ({
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
});
const cluster = {
  endpoint: "https://ABCDEF.gr7.us-east-1.eks.amazonaws.com",
  certificateAuthority: { data: Buffer.from("-----BEGIN CERTIFICATE-----").toString("base64") },
};

beforeEach(() => {
  eks.reset();
});

function connection(now: () => Date) {
  return createEksCluster({
    client: new EKSClient({ region: "us-east-1" }),
    clusterName: "slipway-dev",
    region: "us-east-1",
    credentials,
    now,
  });
}

describe("createEksCluster", () => {
  it("describes the cluster once per container, however often it connects", async () => {
    eks.on(DescribeClusterCommand, { name: "slipway-dev" }).resolves({ cluster });
    const eksCluster = connection(() => new Date("2026-11-26T10:00:00Z"));

    const first = await eksCluster.connect();
    await eksCluster.connect();

    expect(first).toMatchObject({
      server: cluster.endpoint,
      certificateAuthorityData: cluster.certificateAuthority.data,
    });
    expect(eks.commandCalls(DescribeClusterCommand)).toHaveLength(1);
  });

  it("asks again on the next connect after a failed DescribeCluster", async () => {
    eks
      .on(DescribeClusterCommand)
      .rejectsOnce(Object.assign(new Error("throttled"), { $metadata: { httpStatusCode: 429 } }))
      .resolves({ cluster });
    const eksCluster = connection(() => new Date("2026-11-26T10:00:00Z"));

    await expect(eksCluster.connect()).rejects.toBeInstanceOf(TransientError);
    await expect(eksCluster.connect()).resolves.toMatchObject({ server: cluster.endpoint });
  });

  it("reports a DescribeCluster the role may not make as core's RefusedError, not a retry", async () => {
    const denied = Object.assign(new Error("not authorized to perform eks:DescribeCluster"), {
      name: "AccessDeniedException",
      $fault: "client",
      $metadata: { httpStatusCode: 403 },
    });
    eks.on(DescribeClusterCommand).rejects(denied);

    await expect(connection(() => new Date()).connect()).rejects.toMatchObject({
      name: "RefusedError",
      status: 403,
      cause: denied,
    });
  });

  it("keeps a token for 14 of its 15 minutes and renews it before it expires", async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster });
    let now = new Date("2026-11-26T10:00:00Z");
    const { token } = await connection(() => now).connect();

    const first = await token();
    now = new Date("2026-11-26T10:13:59Z");
    const stillFirst = await token();
    now = new Date("2026-11-26T10:14:01Z");
    const renewed = await token();

    expect(first).toMatch(/^k8s-aws-v1\./);
    expect(stillFirst).toBe(first);
    expect(renewed).not.toBe(first);
    const url = new URL(Buffer.from(renewed.slice("k8s-aws-v1.".length), "base64url").toString());
    expect(url.searchParams.get("X-Amz-Date")).toBe("20261126T101401Z");
  });

  it("signs one token for many concurrent requests", async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster });
    const { token } = await connection(() => new Date("2026-11-26T10:00:00Z")).connect();

    const tokens = await Promise.all(Array.from({ length: 10 }, () => token()));

    expect(new Set(tokens).size).toBe(1);
  });
});
