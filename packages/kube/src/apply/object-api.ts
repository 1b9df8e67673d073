import {
  createConfiguration,
  type KubeConfig,
  KubernetesObjectApi,
  Observable,
  type RequestContext,
  ServerConfiguration,
} from "@kubernetes/client-node";

/**
 * client-node's generic object API with a deadline on every call: it sets none, so a hung
 * connection would hold the function until Lambda's own timeout.
 */
export function objectApi(config: KubeConfig, timeoutMs: number): DiscoveringObjectApi {
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig names no current cluster");
  return new DiscoveringObjectApi(
    createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: config },
      middleware: [
        {
          pre: (context: RequestContext) => {
            context.setSignal(AbortSignal.timeout(timeoutMs));
            return new Observable(Promise.resolve(context));
          },
          post: (response) => new Observable(Promise.resolve(response)),
        },
      ],
    }),
  );
}

/** Exposes the object API's cached discovery (is a kind namespaced?), which it keeps protected. */
export class DiscoveringObjectApi extends KubernetesObjectApi {
  discover(apiVersion: string, kind: string) {
    return this.resource(apiVersion, kind);
  }
}
