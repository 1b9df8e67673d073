import { KubeConfig } from "@kubernetes/client-node";
import { type Cluster, type ControlPlaneOptions, startControlPlane } from "./control-plane.ts";

/**
 * The cluster a suite should use. With KUBECONFIG set (kind, EKS, anything),
 * that cluster as it is: nothing is started, created or stopped, and
 * SLIPWAY_DEPLOYER_KUBECONFIG (default: KUBECONFIG itself) and
 * SLIPWAY_NAMESPACE (default "chat") name the deployer identity and the
 * workload namespace, which that cluster must already have. Otherwise a fresh
 * local control plane. KUBECONFIG must name one file, not a list.
 */
export async function resolveCluster(
  opts: ControlPlaneOptions = {},
): Promise<Cluster & { external: boolean }> {
  const external = process.env.KUBECONFIG;
  if (external) {
    const config = new KubeConfig();
    config.loadFromFile(external);
    return {
      external: true,
      kubeconfigAdmin: external,
      kubeconfigDeployer: process.env.SLIPWAY_DEPLOYER_KUBECONFIG || external,
      namespace: process.env.SLIPWAY_NAMESPACE || opts.namespace || "chat",
      server: config.getCurrentCluster()?.server ?? "",
      stop: async () => {},
    };
  }
  return { external: false, ...(await startControlPlane(opts)) };
}
