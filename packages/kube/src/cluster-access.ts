import { EKSClient, type EKSClientConfig } from "@aws-sdk/client-eks";
import type { KubeConfig } from "@kubernetes/client-node";
import { createEksCluster, type EksConnection } from "@slipway/aws";
import type { Workloads } from "@slipway/core";
import { type ApiConnection, type ClusterEndpoint, openApiConnection } from "./api-connection.ts";
import { bearerKubeConfig } from "./bearer-kubeconfig.ts";
import { kubeConfigFromFile } from "./cluster-kube-config.ts";
import { onFirstUse } from "./first-use.ts";
import { createKubeWorkloads } from "./kube-workloads.ts";

export { onFirstUse };

/**
 * Where a stage's cluster is: an EKS cluster reached as the caller's IAM identity (a
 * function's role, or an operator's), or a kubeconfig file (a local control plane, the demo,
 * any other cluster).
 */
export type ClusterAccess =
  | { kind: "eks"; name: string; region: string }
  | { kind: "kubeconfig"; path: string };

type ConnectOptions = { eksClientConfig?: EKSClientConfig };

/**
 * The deployer's connection to the stage's cluster, for every function and the operator CLI:
 * cluster lookup (DescribeCluster), bearer token, one HTTP/2 connection (see ApiConnection).
 * It connects on first use (DescribeCluster is a network call, so it cannot run while a
 * module loads) and keeps the connection for the process's life; a failed connect is not
 * kept, so the next call tries again. A kubeconfig file is read by @kubernetes/client-node,
 * imported only then: an EKS function never loads it.
 */
export function connectApiServer(
  access: ClusterAccess,
  options: ConnectOptions = {},
): () => Promise<ApiConnection> {
  if (access.kind === "kubeconfig") {
    return onFirstUse(async () => {
      const { endpointFromKubeConfigFile } = await import("./kube-config-file.ts");
      return openApiConnection(await endpointFromKubeConfigFile(access.path));
    });
  }
  const eks = eksCluster(access, options);
  return onFirstUse(async () => openApiConnection(eksEndpoint(await eks.connect())));
}

/**
 * The same cluster as a client-node KubeConfig, for the apply function, whose server-side
 * apply and discovery stay on client-node's generic object API (one HTTP/2 connection per
 * cluster, see ClusterKubeConfig).
 */
export function connectCluster(
  access: ClusterAccess,
  options: ConnectOptions = {},
): () => Promise<KubeConfig> {
  if (access.kind === "kubeconfig") {
    const config = kubeConfigFromFile(access.path);
    return async () => config;
  }
  const eks = eksCluster(access, options);
  return onFirstUse(async () => {
    const connection = await eks.connect();
    return bearerKubeConfig({
      server: connection.server,
      certificateAuthorityData: connection.certificateAuthorityData,
      token: connection.token,
    });
  });
}

/** The stage's Deployments behind core's Workloads port, on the connection `connect` opens. */
export function clusterWorkloads(connect: () => Promise<ApiConnection>): Workloads {
  const workloads = onFirstUse(async () => createKubeWorkloads({ connection: await connect() }));
  return {
    read: async (target) => (await workloads()).read(target),
    setImage: async (target, change) => (await workloads()).setImage(target, change),
    revisions: async (target) => (await workloads()).revisions(target),
    async *watch(target, signal) {
      yield* (await workloads()).watch(target, signal);
    },
  };
}

function eksCluster(access: { name: string; region: string }, options: ConnectOptions) {
  return createEksCluster({
    client: new EKSClient({ ...options.eksClientConfig, region: access.region }),
    clusterName: access.name,
    region: access.region,
  });
}

/** An EKS cluster's endpoint: its CA, and the caller's bearer token on every request. */
export function eksEndpoint(connection: EksConnection): ClusterEndpoint {
  return {
    server: connection.server,
    tls: { ca: Buffer.from(connection.certificateAuthorityData, "base64") },
    headers: async () => ({ authorization: `Bearer ${await connection.token()}` }),
  };
}
