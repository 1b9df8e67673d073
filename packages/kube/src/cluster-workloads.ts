import { EKSClient, type EKSClientConfig } from "@aws-sdk/client-eks";
import { KubeConfig } from "@kubernetes/client-node";
import { createEksCluster } from "@slipway/aws";
import type { Workloads } from "@slipway/core";
import { bearerKubeConfig } from "./bearer-kubeconfig.ts";
import { createKubeWorkloads } from "./kube-workloads.ts";

/**
 * Where a stage's cluster is: an EKS cluster reached as the caller's IAM identity (the
 * deploy function's role, or an operator's), or a kubeconfig file (a local control plane,
 * the demo, any other cluster).
 */
export type ClusterAccess =
  | { kind: "eks"; name: string; region: string }
  | { kind: "kubeconfig"; path: string };

/**
 * The one factory for cluster access, for the functions and the operator CLI alike: cluster
 * lookup (DescribeCluster), bearer token, kubeconfig and client, behind core's Workloads
 * port. On EKS the client is made on first use (DescribeCluster is a network call, so it
 * cannot run while a module loads) and kept for the process's life; a failed connect is not
 * kept, so the next call tries again.
 */
export function clusterWorkloads(
  access: ClusterAccess,
  options: { eksClientConfig?: EKSClientConfig } = {},
): Workloads {
  if (access.kind === "kubeconfig") {
    const config = new KubeConfig();
    config.loadFromFile(access.path);
    return createKubeWorkloads({ config });
  }
  const eks = createEksCluster({
    client: new EKSClient({ ...options.eksClientConfig, region: access.region }),
    clusterName: access.name,
    region: access.region,
  });
  return connectedOnFirstUse(async () => {
    const connection = await eks.connect();
    return createKubeWorkloads({
      config: bearerKubeConfig({
        server: connection.server,
        certificateAuthorityData: connection.certificateAuthorityData,
        token: connection.token,
      }),
    });
  });
}

function connectedOnFirstUse(connect: () => Promise<Workloads>): Workloads {
  let connected: Promise<Workloads> | undefined;
  const get = () => {
    connected ??= connect().catch((error: unknown) => {
      connected = undefined;
      throw error;
    });
    return connected;
  };
  return {
    read: async (target) => (await get()).read(target),
    setImage: async (target, change) => (await get()).setImage(target, change),
    revisions: async (target) => (await get()).revisions(target),
    async *watch(target, signal) {
      yield* (await get()).watch(target, signal);
    },
  };
}
