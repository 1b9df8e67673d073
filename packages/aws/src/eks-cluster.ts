import { type Cluster, DescribeClusterCommand, type EKSClient } from "@aws-sdk/client-eks";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { translateAwsError } from "./aws-errors.ts";
import { eksToken, eksTokenValidSeconds } from "./eks-token.ts";

/** What a Kubernetes client needs to reach one EKS cluster as the caller's IAM identity. */
export type EksConnection = {
  /** The API server endpoint, `https://…eks.amazonaws.com`. */
  server: string;
  /** The cluster CA bundle, base64-encoded PEM, as DescribeCluster returns it. */
  certificateAuthorityData: string;
  /** A bearer token valid for at least `minimumValidityMs` more; cached and renewed in time. */
  token: () => Promise<string>;
};

export type EksClusterOptions = {
  client: EKSClient;
  clusterName: string;
  region: string;
  /** @default the SDK's default chain (in Lambda, the function role from the environment) */
  credentials?: AwsCredentialIdentityProvider;
  now?: () => Date;
  /**
   * A token is renewed once less than this is left of its 15 minutes, so no request (nor a
   * 20 s watch) starts with one about to expire. One minute, as aws-iam-authenticator and
   * kubectl keep their tokens for 14 minutes. @default 60_000
   */
  minimumValidityMs?: number;
};

/**
 * The EKS cluster behind one deploy function container. DescribeCluster (endpoint and CA)
 * runs once per container and is kept, since both are fixed for the cluster's life; a failed
 * call is not kept, so the next invocation asks again. The bearer token is built in code
 * (no aws CLI in Lambda), kept for 14 of its 15 minutes and renewed before it expires, so a
 * warm container signs about four an hour and a long rollout watch keeps working.
 */
export function createEksCluster(options: EksClusterOptions): {
  connect(): Promise<EksConnection>;
} {
  const now = options.now ?? (() => new Date());
  const credentials = options.credentials ?? defaultProvider();
  const minimumValidityMs = options.minimumValidityMs ?? 60_000;
  let described: Promise<{ server: string; certificateAuthorityData: string }> | undefined;
  let cached: { token: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;

  const describe = async () => {
    let cluster: Cluster | undefined;
    try {
      ({ cluster } = await options.client.send(
        new DescribeClusterCommand({ name: options.clusterName }),
      ));
    } catch (error) {
      throw translateAwsError(`EKS DescribeCluster ${options.clusterName}`, error);
    }
    const server = cluster?.endpoint;
    const certificateAuthorityData = cluster?.certificateAuthority?.data;
    if (!server || !certificateAuthorityData) {
      throw new Error(
        `EKS cluster ${options.clusterName} has no endpoint or CA yet (still creating?)`,
      );
    }
    return { server, certificateAuthorityData };
  };

  const token = async (): Promise<string> => {
    const at = now();
    if (cached && cached.expiresAt - at.getTime() > minimumValidityMs) return cached.token;
    pending ??= (async () => {
      try {
        const value = await eksToken({
          clusterName: options.clusterName,
          region: options.region,
          credentials: await credentials(),
          now: at,
        });
        cached = { token: value, expiresAt: at.getTime() + eksTokenValidSeconds * 1000 };
        return value;
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };

  return {
    async connect() {
      described ??= describe().catch((error: unknown) => {
        described = undefined;
        throw error;
      });
      return { ...(await described), token };
    },
  };
}
