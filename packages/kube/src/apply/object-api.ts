import {
  createConfiguration,
  HttpMethod,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  Observable,
  PatchStrategy,
  type RequestContext,
  ServerConfiguration,
} from "@kubernetes/client-node";
import type { KubeObject } from "./apply-set.ts";

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

/**
 * Exposes the object API's cached discovery (is a kind namespaced?), which it keeps
 * protected, and applies a manifest exactly as written.
 */
export class DiscoveringObjectApi extends KubernetesObjectApi {
  discover(apiVersion: string, kind: string) {
    return this.resource(apiVersion, kind);
  }

  /**
   * Server-side apply (forced) of the manifest's own JSON. client-node's `patch` first runs a
   * known kind through its generated model, which silently drops every field the model does
   * not know or names differently: a NetworkPolicy's ingress `from` (the model's `_from`)
   * vanished, and a rule without `from` admits every source.
   */
  async applyAsWritten(object: KubeObject, fieldManager: string): Promise<KubernetesObject> {
    const path = await this.specUriPath(object as KubernetesObject, "patch");
    const request = this.configuration.baseServer.makeRequestContext(path, HttpMethod.PATCH);
    request.setHeaderParam("Accept", "application/json");
    request.setHeaderParam("Content-Type", PatchStrategy.ServerSideApply);
    request.setQueryParam("fieldManager", fieldManager);
    request.setQueryParam("force", "true");
    request.setBody(JSON.stringify(object));
    return this.requestPromise(request);
  }
}
