import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { deployerAdmission } from "./deployer-admission.ts";
import type { KubeObject } from "./kube-object.ts";
import { bootstrapImage, deployerGroup } from "./settings.ts";

/**
 * The objects a stage keeps inside its cluster, as plain data: the `k8s/` overlay rendered
 * with kustomize, shaped for the stage's load balancer, plus the IngressClass that carries
 * the stage's ALB settings. No SST globals, so the infra program and the tests that apply
 * these objects to a real API server run the same code. The Secrets are added by the apply
 * function from Secrets Manager; images and replica counts are left to the deployer and the
 * autoscaler by the apply function (packages/kube `deployment-ownership.ts`).
 */

export type { KubeObject };

/**
 * An environment variable a service wants set to `"true"` when the stage serves HTTPS and
 * `"false"` when it does not (the chat's web client marks its cookie `Secure` by it).
 */
export type HttpsFlag = { deployment: string; container: string; env: string };

export interface StageObjectOptions {
  /** The stage's ACM certificate; with one, the ALB is internet-facing and serves HTTPS and gRPC. */
  certificateArn?: string;
  /**
   * The stage's ECR repository URL: the only registry the deployer may roll out from
   * (infra/deployer-admission.ts).
   */
  registry: string;
  /** Environment variables that say whether the stage serves HTTPS (a service's `httpsFlags`). */
  httpsFlags?: readonly HttpsFlag[];
}

/** The IngressClass every Ingress of the workload names. */
export const ingressClassName = "slipway";
/** One ALB for the stage: every Ingress of the class joins this group. */
export const loadBalancerGroup = "slipway-chat";
/**
 * Seconds an idle connection stays open on the ALB: well above the 60 s default, which would
 * cut a quiet chat stream; the server's keepalive pings keep a live one busy. ALBs allow 4000.
 */
export const idleTimeoutSeconds = 3600;

const annotation = {
  listenPorts: "alb.ingress.kubernetes.io/listen-ports",
  sslRedirect: "alb.ingress.kubernetes.io/ssl-redirect",
  backendProtocolVersion: "alb.ingress.kubernetes.io/backend-protocol-version",
} as const;

/** Renders `k8s/overlays/<overlay>` (the chat's) with kustomize. */
export function renderOverlay(
  overlay: string,
  repositoryRoot = resolve(import.meta.dirname, ".."),
) {
  return renderManifests(`k8s/overlays/${overlay}`, repositoryRoot);
}

/** Renders a kustomize folder of the repository (kubectl on the PATH of whoever deploys). */
export function renderManifests(
  folder: string,
  repositoryRoot = resolve(import.meta.dirname, ".."),
): KubeObject[] {
  const yaml = execFileSync("kubectl", ["kustomize", resolve(repositoryRoot, folder)], {
    encoding: "utf8",
  });
  return parseAllDocuments(yaml).map((document) => document.toJSON() as KubeObject);
}

/** A service's kustomize folder for the stage's overlay (a service declares one folder, or one per overlay). */
export function manifestFolder(
  manifests: string | Readonly<Record<string, string>>,
  overlay: string,
): string {
  if (typeof manifests === "string") return manifests;
  const folder = manifests[overlay];
  if (folder === undefined) throw new Error(`no manifests for the ${overlay} overlay`);
  return folder;
}

/** One service's rendered objects, with what it declared they must hold. */
export type RenderedService = {
  rendered: readonly KubeObject[];
  /** The service's own ECR repository: the only registry its deployer may roll out from. */
  registry: string;
  /** The declared namespace and Deployments, checked against what rendered. */
  declared?: { name: string; namespace: string; deployments: readonly string[] };
  /** Environment variables that say whether the stage serves HTTPS. */
  httpsFlags?: readonly HttpsFlag[];
};

/**
 * What a stage applies for several services: the IngressClass and its parameters once, then
 * each service's objects and its own admission policy (its namespace, its Deployments, its
 * registry), so one service's deployer identity can never roll another's image out.
 */
export function stageObjectsFor(
  services: readonly RenderedService[],
  options: Omit<StageObjectOptions, "registry">,
): KubeObject[] {
  return [
    ...ingressClass(options),
    networkPolicyController,
    ...services.flatMap((service) => {
      if (service.declared) checkDeclared(service.rendered, service.declared);
      return [
        ...shapedFor(service.rendered, options, service.httpsFlags ?? []),
        ...admissionFor(service.rendered, service.registry),
      ];
    }),
  ];
}

/** A service's manifests must render its declared namespace and every declared Deployment. */
function checkDeclared(
  rendered: readonly KubeObject[],
  declared: NonNullable<RenderedService["declared"]>,
): void {
  const namespaces = rendered.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name);
  if (namespaces.length !== 1 || namespaces[0] !== declared.namespace) {
    throw new Error(
      `${declared.name}: its manifests must render the namespace ${declared.namespace}, got ${namespaces.join(", ") || "none"}`,
    );
  }
  const present = new Set(
    rendered
      .filter((o) => o.kind === "Deployment" && o.metadata.namespace === declared.namespace)
      .map((o) => o.metadata.name),
  );
  const missing = declared.deployments.filter((d) => !present.has(d));
  if (missing.length > 0) {
    throw new Error(`${declared.name}: its manifests render no Deployment ${missing.join(", ")}`);
  }
}

/**
 * What the stage applies: the IngressClass and its parameters first, then the rendered
 * objects, then the admission policy that holds the deployer to image changes from the
 * stage's registry. Without a certificate the ALB is internal and HTTP-only (no password crosses the
 * internet in clear text), the gRPC Ingress is left out (ALBs speak gRPC only over HTTPS) and
 * the session cookie is not `Secure` (a browser drops a Secure cookie over HTTP, so login
 * would silently fail). With one, HTTP redirects to HTTPS and the cookie is Secure.
 */
export function clusterObjectsFor(
  rendered: readonly KubeObject[],
  options: StageObjectOptions,
): KubeObject[] {
  return stageObjectsFor(
    [{ rendered, registry: options.registry, httpsFlags: options.httpsFlags ?? [] }],
    options,
  );
}

/** The rendered objects shaped for the stage's load balancer (HTTPS or not). */
function shapedFor(
  rendered: readonly KubeObject[],
  options: Omit<StageObjectOptions, "registry">,
  httpsFlags: readonly HttpsFlag[],
): KubeObject[] {
  const https = options.certificateArn !== undefined;
  return rendered
    .filter((object) => https || !isGrpcIngress(object))
    .map((object) => {
      // Plain-HTTP Ingresses (the gRPC one is HTTPS only) listen on 443 and redirect to it.
      if (object.kind === "Ingress" && https && !isGrpcIngress(object)) return withHttps(object);
      if (object.kind === "Deployment") {
        return httpsFlags
          .filter((flag) => flag.deployment === object.metadata.name)
          .reduce(
            (shaped, flag) => withEnv(shaped, flag.container, flag.env, https ? "true" : "false"),
            object,
          );
      }
      return object;
    });
}

/** The deployer's admission policy for the rendered namespace and its Deployments. */
function admissionFor(rendered: readonly KubeObject[], registry: string): KubeObject[] {
  const namespaces = rendered.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name);
  const [namespace] = namespaces;
  if (namespace === undefined || namespaces.length > 1) {
    throw new Error(`the overlay must render one Namespace, got ${namespaces.length}`);
  }
  const deployments = rendered
    .filter((o) => o.kind === "Deployment" && o.metadata.namespace === namespace)
    .map((o) => o.metadata.name);
  return deployerAdmission({
    namespace,
    deployments,
    registry,
    bootstrapImage,
    group: deployerGroup,
  });
}

export function isGrpcIngress(object: KubeObject): boolean {
  return (
    object.kind === "Ingress" &&
    object.metadata.annotations?.[annotation.backendProtocolVersion] === "GRPC"
  );
}

/**
 * EKS Auto Mode's load balancing reads the ALB's scheme, certificate and group from
 * IngressClassParams; it ignores the `group.name` annotation.
 * @see https://docs.aws.amazon.com/eks/latest/userguide/auto-configure-alb.html
 */
function ingressClass(options: Omit<StageObjectOptions, "registry">): KubeObject[] {
  return [
    {
      apiVersion: "eks.amazonaws.com/v1",
      kind: "IngressClassParams",
      metadata: { name: ingressClassName },
      spec: {
        scheme: options.certificateArn ? "internet-facing" : "internal",
        group: { name: loadBalancerGroup },
        ...(options.certificateArn ? { certificateARNs: [options.certificateArn] } : {}),
        loadBalancerAttributes: [
          { key: "idle_timeout.timeout_seconds", value: String(idleTimeoutSeconds) },
        ],
      },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "IngressClass",
      metadata: { name: ingressClassName },
      spec: {
        controller: "eks.amazonaws.com/alb",
        parameters: {
          apiGroup: "eks.amazonaws.com",
          kind: "IngressClassParams",
          name: ingressClassName,
          scope: "Cluster",
        },
      },
    },
  ];
}

/**
 * EKS Auto Mode accepts NetworkPolicies but enforces them only once this ConfigMap turns its
 * network policy controller on (once per cluster; pods that no policy selects are unaffected).
 * @see https://docs.aws.amazon.com/eks/latest/userguide/auto-net-pol.html
 */
const networkPolicyController: KubeObject = {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "amazon-vpc-cni", namespace: "kube-system" },
  data: { "enable-network-policy-controller": "true" },
};

function withHttps(ingress: KubeObject): KubeObject {
  const copy = structuredClone(ingress);
  copy.metadata.annotations = {
    ...copy.metadata.annotations,
    [annotation.listenPorts]: '[{"HTTP": 80}, {"HTTPS": 443}]',
    [annotation.sslRedirect]: "443",
  };
  return copy;
}

type Container = { name: string; env?: Array<{ name: string; value?: string }> };

function withEnv(
  deployment: KubeObject,
  containerName: string,
  name: string,
  value: string,
): KubeObject {
  const copy = structuredClone(deployment);
  const containers = ((copy.spec?.template as { spec?: { containers?: Container[] } } | undefined)
    ?.spec?.containers ?? []) as Container[];
  const container = containers.find((c) => c.name === containerName);
  if (!container)
    throw new Error(`${deployment.metadata.name} has no container "${containerName}"`);
  container.env = [...(container.env ?? []).filter((e) => e.name !== name), { name, value }];
  return copy;
}

/**
 * The apply function's input (functions/apply-manifests `ApplyManifestsEvent`, less the
 * provider's `tf` key): the objects, and where the Secrets' values are, never the values.
 * Generic over the secret's id, which infra passes as a Pulumi output.
 */
export function applyRequest<Id>(args: {
  stage: string;
  /** The Secrets each service declared, in its namespace. */
  secrets: ReadonlyArray<{ name: string; namespace: string; keys: Record<string, string> }>;
  objects: KubeObject[];
  secretId: Id;
  /** Changes when the stage's secret values change, so they are applied again. */
  secretVersion: Id;
  deployedAt: string;
}) {
  const manifestHash = createHash("sha256").update(JSON.stringify(args.objects)).digest("hex");

  return {
    stage: args.stage,
    manifestHash,
    deployedAt: args.deployedAt,
    secretVersion: args.secretVersion,
    objects: args.objects,
    secrets: args.secrets.map((secret) => ({ ...secret, secretId: args.secretId })),
  };
}
