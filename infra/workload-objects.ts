/**
 * What infra applies of the rendered `k8s/` overlay, as a pure function so tests can check it.
 *
 * Infra and the deployer share the Deployments without fighting: infra applies with
 * server-side apply, and SSA only manages the fields a manager sends. Infra leaves out the
 * container images (the deployer owns them; the API allows a Deployment without one) and
 * the replica counts (the HPA owns them). A later `sst deploy` therefore never reverts a
 * rollout. Until the first rollout, the Deployments have no image and run no pods.
 */

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

interface PodTemplateSpec {
  template?: { spec?: { containers?: Array<Record<string, unknown>> } };
  replicas?: number;
}

export interface WorkloadOptions {
  /** ACM certificate for the HTTPS listener; without one, gRPC is not exposed on the ALB. */
  certificateArn?: string;
}

export function workloadObjectsForInfra(
  objects: KubeObject[],
  options: WorkloadOptions,
): KubeObject[] {
  return objects
    .filter((object) => options.certificateArn || !isGrpcIngress(object))
    .map((object) => {
      if (object.kind === "Deployment") return withoutDeployerFields(object);
      if (object.kind === "Ingress" && options.certificateArn) {
        return withCertificate(object, options.certificateArn);
      }
      return object;
    });
}

function isGrpcIngress(object: KubeObject): boolean {
  return (
    object.kind === "Ingress" &&
    object.metadata.annotations?.["alb.ingress.kubernetes.io/backend-protocol-version"] === "GRPC"
  );
}

function withoutDeployerFields(deployment: KubeObject): KubeObject {
  const copy = structuredClone(deployment);
  const spec = (copy.spec ?? {}) as PodTemplateSpec;
  delete spec.replicas;
  for (const container of spec.template?.spec?.containers ?? []) delete container.image;
  return copy;
}

function withCertificate(ingress: KubeObject, certificateArn: string): KubeObject {
  const copy = structuredClone(ingress);
  copy.metadata.annotations = {
    ...copy.metadata.annotations,
    "alb.ingress.kubernetes.io/certificate-arn": certificateArn,
  };
  return copy;
}
