import { Sha256 } from "@aws-crypto/sha256-js";
import { partition } from "@aws-sdk/core/client";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity } from "@smithy/types";

/**
 * What the presigned URL's `X-Amz-Expires` says. The EKS authenticator ignores it: it accepts
 * a token for 15 minutes after `X-Amz-Date` whatever this value is, and kubectl's token is
 * cached for 14 (aws-iam-authenticator's `token.go`, `presignedURLExpiration` and the cache
 * margin). The value only has to be a valid one; 60 s is what `aws eks get-token` sends.
 * @see https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg/token/token.go
 */
export const eksTokenUrlExpiresSeconds = 60;

/** How long the API server accepts a token after it was signed. */
export const eksTokenValidSeconds = 15 * 60;

export type EksTokenInput = {
  clusterName: string;
  region: string;
  credentials: AwsCredentialIdentity;
  /** Injected so tests can fix the clock. */
  now?: Date;
};

/**
 * The regional STS endpoint of the region's partition: `sts.cn-north-1.amazonaws.com.cn` in
 * China, `sts.us-gov-west-1.amazonaws.com` in GovCloud. The suffix comes from the SDK's own
 * partition table (the one its endpoint resolvers use), so a new partition needs no change here.
 */
export function stsHostname(region: string): string {
  return `sts.${region}.${partition(region).dnsSuffix}`;
}

/**
 * A bearer token for the EKS API, built in code as `aws eks get-token` does: an STS
 * GetCallerIdentity URL presigned with the cluster name in the signed header `x-k8s-aws-id`,
 * base64url-encoded without padding and prefixed with `k8s-aws-v1.`. The API server replays
 * the URL to STS to learn the caller's IAM identity, which the access entry maps to a group.
 * @see https://github.com/kubernetes-sigs/aws-iam-authenticator#api-authorization-from-outside-a-cluster
 */
export async function eksToken(input: EksTokenInput): Promise<string> {
  const signer = new SignatureV4({
    service: "sts",
    region: input.region,
    credentials: input.credentials,
    sha256: Sha256,
  });
  const hostname = stsHostname(input.region);
  const request = new HttpRequest({
    method: "GET",
    protocol: "https:",
    hostname,
    path: "/",
    query: { Action: "GetCallerIdentity", Version: "2011-06-15" },
    headers: { host: hostname, "x-k8s-aws-id": input.clusterName },
  });
  const presigned = await signer.presign(request, {
    expiresIn: eksTokenUrlExpiresSeconds,
    ...(input.now ? { signingDate: input.now } : {}),
    // Keep the cluster name a signed header, not a query parameter: the authenticator checks it there.
    unhoistableHeaders: new Set(["x-k8s-aws-id"]),
  });
  const query = new URLSearchParams(presigned.query as Record<string, string>).toString();
  const url = `https://${hostname}/?${query}`;
  return `k8s-aws-v1.${Buffer.from(url).toString("base64url")}`;
}
