import type { KubeObject } from "./apply-set.ts";

/**
 * Who owns which field of a Deployment. Infra owns the pod template; the deployer owns each
 * container's image (its strategic-merge patch takes the field over); the autoscaler owns
 * `replicas`. Server-side apply removes a field its manager stops sending unless another
 * manager also owns it, so infra never sends images or replicas, and the bootstrap manager
 * holds the first values until the deployer and the autoscaler take them.
 * @see https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management
 */

type Container = { name: string; image?: string; [field: string]: unknown };
type DeploymentSpec = {
  replicas?: number;
  template?: { spec?: { containers?: Container[] } };
  [field: string]: unknown;
};

const specOf = (deployment: object) =>
  ((deployment as { spec?: unknown }).spec ?? {}) as DeploymentSpec;
const containersOf = (deployment: object) => specOf(deployment).template?.spec?.containers ?? [];

/** The Deployment as infra applies it after creation: no images, no replica count. */
export function withoutDeployerFields(deployment: KubeObject): KubeObject {
  const copy = structuredClone(deployment);
  const spec = specOf(copy);
  delete spec.replicas;
  for (const container of containersOf(copy)) delete container.image;
  return copy;
}

/**
 * The bootstrap manager's apply: the images of the given containers and, on creation
 * (`containers` absent), of every container plus the manifest's replica count.
 */
export function bootstrapFields(
  deployment: KubeObject,
  image: string,
  containers?: readonly string[],
): KubeObject {
  const replicas = containers ? undefined : specOf(deployment).replicas;
  const names = containers ?? containersOf(deployment).map((c) => c.name);
  return {
    apiVersion: deployment.apiVersion,
    kind: deployment.kind,
    metadata: {
      name: deployment.metadata.name,
      ...(deployment.metadata.namespace ? { namespace: deployment.metadata.namespace } : {}),
    },
    spec: {
      ...(replicas !== undefined ? { replicas } : {}),
      template: { spec: { containers: names.map((name) => ({ name, image })) } },
    },
  };
}

/** Containers the manifest lists that the Deployment on the server does not have yet. */
export function newContainers(desired: KubeObject, existing: object): string[] {
  const present = new Set(containersOf(existing).map((c) => c.name));
  return containersOf(desired)
    .map((c) => c.name)
    .filter((name) => !present.has(name));
}

/** The Deployment as first created: every container on the bootstrap image. */
export function withBootstrapImage(deployment: KubeObject, image: string): KubeObject {
  const copy = structuredClone(deployment);
  const containers = containersOf(copy);
  for (const container of containers) container.image = image;
  return copy;
}
