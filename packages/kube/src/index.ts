export { type BearerClusterOptions, bearerKubeConfig } from "./bearer-kubeconfig.ts";
export { kubeCall, translateKubeError } from "./kube-errors.ts";
export { createKubeWorkloads, type KubeWorkloadsOptions } from "./kube-workloads.ts";
