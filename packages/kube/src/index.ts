export {
  type ApiConnection,
  type ApiRequest,
  type ClusterEndpoint,
  connectedChannel,
  KubeApiError,
  openApiConnection,
  requestChannel,
} from "./api-connection.ts";
export { ManifestError, StillTerminatingError } from "./apply/apply-errors.ts";
export {
  type ApplySetParent,
  applySetId,
  groupKind,
  type KubeObject,
  objectKey,
} from "./apply/apply-set.ts";
export {
  type ApplyReport,
  bootstrapFieldManager,
  type ClusterObjects,
  type ClusterObjectsOptions,
  createClusterObjects,
  infraFieldManager,
} from "./apply/cluster-objects.ts";
export { type BearerClusterOptions, bearerKubeConfig } from "./bearer-kubeconfig.ts";
export {
  type ClusterAccess,
  clusterWorkloads,
  connectApiServer,
  connectCluster,
  eksEndpoint,
  onFirstUse,
} from "./cluster-access.ts";
export { ClusterKubeConfig, kubeConfigFromFile } from "./cluster-kube-config.ts";
export { endpointFromKubeConfig } from "./kube-config-endpoint.ts";
export { kubeCall, translateKubeError } from "./kube-errors.ts";
export { createKubeWorkloads, type KubeWorkloadsOptions, pointerToken } from "./kube-workloads.ts";
