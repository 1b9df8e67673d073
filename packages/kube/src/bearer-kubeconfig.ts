import { ClusterKubeConfig } from "./cluster-kube-config.ts";

export type BearerClusterOptions = {
  /** The API server URL, `https://…`. */
  server: string;
  /** The cluster CA bundle, base64-encoded PEM (what EKS DescribeCluster returns). */
  certificateAuthorityData?: string;
  /** Returns a valid bearer token; asked before every request, so it may rotate. */
  token: () => Promise<string>;
  namespace?: string;
};

const providerName = "slipway-bearer";

/**
 * A kubeconfig held only in memory whose bearer token is fetched per request. A static
 * `user.token` would go stale: an EKS token is accepted for 15 minutes, and a warm container
 * lives longer.
 * The custom authenticator is client-node's own extension point for that. Every request to
 * the cluster shares one connection pool (see ClusterKubeConfig).
 */
export function bearerKubeConfig(options: BearerClusterOptions): ClusterKubeConfig {
  const config = new ClusterKubeConfig();
  config.addAuthenticator({
    isAuthProvider: (user) => user.authProvider?.name === providerName,
    applyAuthentication: async (_user, request) => {
      request.headers = { ...request.headers, Authorization: `Bearer ${await options.token()}` };
    },
  });
  config.loadFromOptions({
    clusters: [
      {
        name: "slipway",
        server: options.server,
        ...(options.certificateAuthorityData ? { caData: options.certificateAuthorityData } : {}),
        skipTLSVerify: false,
      },
    ],
    users: [{ name: "slipway-deployer", authProvider: { name: providerName, config: {} } }],
    contexts: [
      {
        name: "slipway",
        cluster: "slipway",
        user: "slipway-deployer",
        ...(options.namespace ? { namespace: options.namespace } : {}),
      },
    ],
    currentContext: "slipway",
  });
  return config;
}
