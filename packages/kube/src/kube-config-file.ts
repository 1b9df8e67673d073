import { KubeConfig } from "@kubernetes/client-node";
import type { ClusterEndpoint } from "./api-connection.ts";
import { endpointFromKubeConfig } from "./kube-config-endpoint.ts";

/**
 * The endpoint of a kubeconfig file's current context, read by client-node (YAML, every
 * authentication kind kubectl's files use). Imported only when a kubeconfig names the cluster
 * (the demo, benchmarks, `KUBECONFIG`), so an EKS function never loads client-node.
 */
export function endpointFromKubeConfigFile(path: string): Promise<ClusterEndpoint> {
  const config = new KubeConfig();
  config.loadFromFile(path);
  return endpointFromKubeConfig(config);
}
