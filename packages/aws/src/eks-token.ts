import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity } from "@smithy/types";

/** EKS accepts presigned URLs up to 15 minutes old; a short life limits a leaked token's use. */
export const eksTokenLifetimeSeconds = 60;

export type EksTokenInput = {
  clusterName: string;
  region: string;
  credentials: AwsCredentialIdentity;
  /** Injected so tests can fix the clock. */
  now?: Date;
};

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
  const hostname = `sts.${input.region}.amazonaws.com`;
  const request = new HttpRequest({
    method: "GET",
    protocol: "https:",
    hostname,
    path: "/",
    query: { Action: "GetCallerIdentity", Version: "2011-06-15" },
    headers: { host: hostname, "x-k8s-aws-id": input.clusterName },
  });
  const presigned = await signer.presign(request, {
    expiresIn: eksTokenLifetimeSeconds,
    ...(input.now ? { signingDate: input.now } : {}),
    // Keep the cluster name a signed header, not a query parameter: the authenticator checks it there.
    unhoistableHeaders: new Set(["x-k8s-aws-id"]),
  });
  const query = new URLSearchParams(presigned.query as Record<string, string>).toString();
  const url = `https://${hostname}/?${query}`;
  return `k8s-aws-v1.${Buffer.from(url).toString("base64url")}`;
}
