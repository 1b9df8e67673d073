import type { TestProject } from "vitest/node";
import { resolveCluster } from "./resolve-cluster.ts";

/** What `inject("kube")` gives a test: paths and names, no functions (it crosses to workers). */
export type KubeContext = {
  kubeconfigAdmin: string;
  kubeconfigDeployer: string;
  namespace: string;
  server: string;
  /** True when KUBECONFIG pointed the run at an existing cluster. */
  external: boolean;
};

declare module "vitest" {
  export interface ProvidedContext {
    kube: KubeContext;
  }
}

/**
 * vitest globalSetup: builds the binaries if the cache lacks them (minutes,
 * once per machine), then starts one control plane for the whole run, about
 * 10 s, and stops it after the last test file.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const cluster = await resolveCluster();
  const { kubeconfigAdmin, kubeconfigDeployer, namespace, server, external } = cluster;
  console.info(
    external
      ? `kube: using KUBECONFIG=${kubeconfigAdmin} (${server})`
      : `kube: local control plane at ${server} ready in ${Date.now() - started} ms`,
  );
  project.provide("kube", { kubeconfigAdmin, kubeconfigDeployer, namespace, server, external });
  return cluster.stop;
}
