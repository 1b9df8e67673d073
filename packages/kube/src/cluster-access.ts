import { EKSClient, type EKSClientConfig } from "@aws-sdk/client-eks";
import type { KubeConfig } from "@kubernetes/client-node";
import { createEksCluster } from "@slipway/aws";
import type { Workloads } from "@slipway/core";
import { bearerKubeConfig } from "./bearer-kubeconfig.ts";
import { kubeConfigFromFile } from "./cluster-kube-config.ts";
import { createKubeWorkloads } from "./kube-workloads.ts";

/**
 * Where a stage's cluster is: an EKS cluster reached as the caller's IAM identity (a
 * function's role, or an operator's), or a kubeconfig file (a local control plane, the demo,
 * any other cluster).
 */
export type ClusterAccess =
  | { kind: "eks"; name: string; region: string }
  | { kind: "kubeconfig"; path: string };

/**
 * The one factory for cluster access, for every function and the operator CLI: cluster
 * lookup (DescribeCluster), bearer token, kubeconfig. It connects on first use (DescribeCluster
 * is a network call, so it cannot run while a module loads) and keeps the connection for the
 * process's life, with one HTTP/2 connection to the cluster for every call and watch (see
 * ClusterKubeConfig); a failed connect is not kept, so the next call tries again.
 */
export function connectCluster(
  access: ClusterAccess,
  options: { eksClientConfig?: EKSClientConfig } = {},
): () => Promise<KubeConfig> {
  if (access.kind === "kubeconfig") {
    const config = kubeConfigFromFile(access.path);
    return async () => config;
  }
  const eks = createEksCluster({
    client: new EKSClient({ ...options.eksClientConfig, region: access.region }),
    clusterName: access.name,
    region: access.region,
  });
  return onFirstUse(async () => {
    const connection = await eks.connect();
    return bearerKubeConfig({
      server: connection.server,
      certificateAuthorityData: connection.certificateAuthorityData,
      token: connection.token,
    });
  });
}

/** The stage's Deployments behind core's Workloads port, on the cluster `connect` reaches. */
export function clusterWorkloads(connect: () => Promise<KubeConfig>): Workloads {
  const workloads = onFirstUse(async () => createKubeWorkloads({ config: await connect() }));
  return {
    read: async (target) => (await workloads()).read(target),
    setImage: async (target, change) => (await workloads()).setImage(target, change),
    revisions: async (target) => (await workloads()).revisions(target),
    async *watch(target, signal) {
      yield* (await workloads()).watch(target, signal);
    },
  };
}

/** Made once, on the first call; a failure is not kept, so the next call tries again. */
export function onFirstUse<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => {
    made ??= make().catch((error: unknown) => {
      made = undefined;
      throw error;
    });
    return made;
  };
}
