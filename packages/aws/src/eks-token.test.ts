import { describe, expect, it } from "vitest";
import { eksToken, stsHostname } from "./eks-token.ts";

const fixedInput = {
  clusterName: "slipway-production-cluster",
  region: "eu-west-1",
  credentials: {
    accessKeyId: "AKIDEXAMPLE",
    secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  },
  now: new Date("2026-11-26T10:00:00Z"),
};

function decode(token: string): URL {
  expect(token.startsWith("k8s-aws-v1.")).toBe(true);
  const encoded = token.slice("k8s-aws-v1.".length);
  expect(encoded).not.toMatch(/[=+/]/); // base64url without padding
  return new URL(Buffer.from(encoded, "base64url").toString("utf8"));
}

describe("eksToken", () => {
  it("decodes to a presigned regional STS GetCallerIdentity URL", async () => {
    const url = decode(await eksToken(fixedInput));
    expect(url.origin).toBe("https://sts.eu-west-1.amazonaws.com");
    expect(url.searchParams.get("Action")).toBe("GetCallerIdentity");
    expect(url.searchParams.get("Version")).toBe("2011-06-15");
    expect(url.searchParams.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
    expect(url.searchParams.get("X-Amz-Credential")).toBe(
      "AKIDEXAMPLE/20261126/eu-west-1/sts/aws4_request",
    );
    expect(url.searchParams.get("X-Amz-Date")).toBe("20261126T100000Z");
    expect(url.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("signs the cluster name as the x-k8s-aws-id header, not as a query parameter", async () => {
    const url = decode(await eksToken(fixedInput));
    expect(url.searchParams.get("X-Amz-SignedHeaders")?.split(";")).toEqual([
      "host",
      "x-k8s-aws-id",
    ]);
    expect(url.searchParams.has("x-k8s-aws-id")).toBe(false);
  });

  it("presigns on the China partition's STS host in a China region", async () => {
    const url = decode(await eksToken({ ...fixedInput, region: "cn-northwest-1" }));
    expect(url.origin).toBe("https://sts.cn-northwest-1.amazonaws.com.cn");
    expect(url.searchParams.get("X-Amz-Credential")).toBe(
      "AKIDEXAMPLE/20261126/cn-northwest-1/sts/aws4_request",
    );
  });

  it("names the regional STS host of each partition", () => {
    expect(stsHostname("us-east-1")).toBe("sts.us-east-1.amazonaws.com");
    expect(stsHostname("cn-north-1")).toBe("sts.cn-north-1.amazonaws.com.cn");
    expect(stsHostname("us-gov-west-1")).toBe("sts.us-gov-west-1.amazonaws.com");
    expect(stsHostname("us-iso-east-1")).toBe("sts.us-iso-east-1.c2s.ic.gov");
  });

  it("says X-Amz-Expires of 60 seconds, as aws eks get-token does", async () => {
    const url = decode(await eksToken(fixedInput));
    expect(Number(url.searchParams.get("X-Amz-Expires"))).toBeLessThanOrEqual(60);
  });

  it("carries the session token of temporary credentials, as a Lambda role has", async () => {
    const url = decode(
      await eksToken({
        ...fixedInput,
        credentials: { ...fixedInput.credentials, sessionToken: "FwoGZXIvYXdz" },
      }),
    );
    expect(url.searchParams.get("X-Amz-Security-Token")).toBe("FwoGZXIvYXdz");
  });

  it("signs differently for another cluster, so a token cannot be replayed against it", async () => {
    const a = decode(await eksToken(fixedInput)).searchParams.get("X-Amz-Signature");
    const b = decode(await eksToken({ ...fixedInput, clusterName: "other" })).searchParams.get(
      "X-Amz-Signature",
    );
    expect(a).not.toBe(b);
  });
});
