import { DeployLabel } from "@slipway/core";
import type { KubeObject } from "./kube-object.ts";

/**
 * What the deployer may change, enforced by the API server itself: a ValidatingAdmissionPolicy
 * (admissionregistration.k8s.io/v1, GA since Kubernetes 1.30) that applies only to requests
 * from the deployer's group and refuses every Deployment change except
 * - a container's image, to `<stage registry>@sha256:<64 hex>` or back to the bootstrap image
 *   (the first rollout's rollback restores what ran before it);
 * - the Deployment's own `slipway.dev/*` and `kubernetes.io/change-cause` annotations;
 * - its `slipway.dev/high-water` label, a sequence number, upward only (the guard of the
 *   deployer's unread patches, see packages/core applyImage).
 * Anything else in the pod template (env, command, volumes, a sidecar, the service account),
 * the Deployment's spec, labels or other annotations, and any create or delete, is refused.
 * RBAC (`k8s/base/rbac.yaml`, resourceNames) already limits the deployer to the stage's
 * Deployments; the policy checks the names again, so either layer alone holds.
 *
 * Infra writes the stage's values (the registry, known only once ECR has made the repository)
 * into the policy's variables as CEL literals rather than a parameter ConfigMap: on 1.35 a
 * binding resolves its parameters before the policy's matchConditions, so a parameter not
 * yet loaded (or deleted) refused every writer with `parameterNotFoundAction: Deny`, the
 * apply function and the controllers included, and `Allow` would let the deployer through
 * unchecked. The binding is scoped to the stage's namespace, so Deployments elsewhere (test
 * suites, other tenants) are not judged by this stage's registry.
 * @see https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/
 */
export interface DeployerAdmissionOptions {
  /** The workload namespace; the binding applies there only. */
  namespace: string;
  /** The Deployments the deployer rolls out. */
  deployments: readonly string[];
  /** The stage's ECR repository URL, `<account>.dkr.ecr.<region>.amazonaws.com/<name>`. */
  registry: string;
  /** What the Deployments run before the first rollout (infra/settings.ts `bootstrapImage`). */
  bootstrapImage: string;
  /** The Kubernetes group the deploy function's access entry maps to. */
  group: string;
}

/** Keys the API server itself changes on every update, which no client controls. */
const serverSetMetadata = ["annotations", "resourceVersion", "generation", "managedFields"];
const digestLength = "@sha256:".length;

/**
 * A CEL condition: `path` on the new object has the same keys and values as on the old one,
 * except `except`. The objects are iterated as maps (`dyn`), so a field that a later
 * Kubernetes adds is compared too, without this list knowing it.
 */
function unchangedExcept(path: string, except: readonly string[]): string {
  const skip = `k in ${JSON.stringify(except)}`;
  const now = `dyn(object.${path})`;
  const before = `dyn(oldObject.${path})`;
  return (
    `${now}.all(k, ${skip} || (k in ${before} && ${now}[k] == ${before}[k])) && ` +
    `${before}.all(k, ${skip} || k in ${now})`
  );
}

const containers = "object.spec.template.spec.containers";
const oldContainers = "oldObject.spec.template.spec.containers";
const ownAnnotation = "(k.startsWith('slipway.dev/') || k == 'kubernetes.io/change-cause')";
const highWater = JSON.stringify(DeployLabel.highWater);
const sequencePattern = "'^[1-9][0-9]{0,15}$'";

/** The policy's validations, in the order the API server reports the first that fails. */
export const deployerRules = [
  {
    expression: "request.operation == 'UPDATE'",
    messageExpression: "'the deployer may only update Deployments, not ' + request.operation",
  },
  {
    expression: "object.metadata.name in variables.deployments",
    messageExpression: "'not a Deployment of this stage: ' + object.metadata.name",
  },
  {
    expression: unchangedExcept("spec", ["template"]),
    message: "the deployer may not change the Deployment's spec (replicas, strategy, selector…)",
  },
  {
    expression: unchangedExcept("spec.template", ["spec"]),
    message: "the deployer may not change the pod template's labels or annotations",
  },
  {
    expression: unchangedExcept("spec.template.spec", ["containers"]),
    message:
      "the deployer may not change the pod spec (volumes, service account, init containers…)",
  },
  {
    expression:
      `${containers}.size() == ${oldContainers}.size() && ${containers}.all(c, ` +
      `${oldContainers}.exists(o, o.name == c.name && ` +
      `dyn(c).all(k, k == 'image' || (k in dyn(o) && dyn(c)[k] == dyn(o)[k])) && ` +
      `dyn(o).all(k, k == 'image' || k in dyn(c))))`,
    message:
      "the deployer may change only a container's image (not env, command, mounts, or the containers themselves)",
  },
  {
    expression:
      `${containers}.all(c, ${oldContainers}.exists(o, o.name == c.name && o.image == c.image) || ` +
      "c.image == variables.bootstrapImage || " +
      "(c.image.startsWith(variables.registry + '@sha256:') && " +
      `c.image.substring(size(variables.registry) + ${digestLength}).matches('^[0-9a-f]{64}$')))`,
    messageExpression:
      "'an image must be ' + variables.registry + '@sha256:<64 hex digits>: ' + " +
      `${containers}.map(c, c.image).join(', ')`,
  },
  {
    expression:
      `variables.annotations.all(k, ${ownAnnotation} || ` +
      "(k in variables.oldAnnotations && variables.oldAnnotations[k] == variables.annotations[k])) && " +
      `variables.oldAnnotations.all(k, ${ownAnnotation} || k in variables.annotations)`,
    message:
      "the deployer may change only slipway.dev/* and kubernetes.io/change-cause annotations",
  },
  {
    expression: unchangedExcept("metadata", [...serverSetMetadata, "labels"]),
    message: "the deployer may not change the Deployment's finalizers or owners",
  },
  {
    expression:
      `variables.labels.all(k, k == ${highWater} || ` +
      "(k in variables.oldLabels && variables.oldLabels[k] == variables.labels[k])) && " +
      "variables.oldLabels.all(k, k in variables.labels)",
    message: "the deployer may not change the Deployment's labels but slipway.dev/high-water",
  },
  {
    // Raised with every patch and never lowered: an undo cannot lower it, nor can the deployer.
    expression:
      `!(${highWater} in variables.labels) || (variables.labels[${highWater}].matches(${sequencePattern}) && ` +
      `(!(${highWater} in variables.oldLabels) || !variables.oldLabels[${highWater}].matches(${sequencePattern}) || ` +
      `int(variables.labels[${highWater}]) >= int(variables.oldLabels[${highWater}])))`,
    message: "slipway.dev/high-water must be a sequence number, and may only go up",
  },
] as const;

/** A CEL literal of a string or list of strings (JSON's escapes are CEL's). */
const literal = (value: string | readonly string[]) => JSON.stringify(value);

/** The policy with the stage's values, and its binding to the stage's namespace. */
export function deployerAdmission(options: DeployerAdmissionOptions): KubeObject[] {
  const name = `slipway-deployer-${options.namespace}`;
  const policy: KubeObject = {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicy",
    metadata: { name },
    spec: {
      failurePolicy: "Fail",
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: ["apps"],
            apiVersions: ["*"],
            resources: ["deployments"],
            operations: ["CREATE", "UPDATE", "DELETE"],
          },
        ],
      },
      matchConditions: [
        {
          name: "from-the-deployer",
          expression: `request.userInfo.groups.exists(g, g == ${literal(options.group)})`,
        },
      ],
      variables: [
        { name: "registry", expression: literal(options.registry) },
        { name: "bootstrapImage", expression: literal(options.bootstrapImage) },
        { name: "deployments", expression: literal(options.deployments) },
        { name: "annotations", expression: "object.metadata.?annotations.orValue({})" },
        { name: "oldAnnotations", expression: "oldObject.metadata.?annotations.orValue({})" },
        { name: "labels", expression: "object.metadata.?labels.orValue({})" },
        { name: "oldLabels", expression: "oldObject.metadata.?labels.orValue({})" },
      ],
      validations: deployerRules,
    },
  };
  const binding: KubeObject = {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name },
    spec: {
      policyName: name,
      validationActions: ["Deny"],
      matchResources: {
        namespaceSelector: {
          matchLabels: { "kubernetes.io/metadata.name": options.namespace },
        },
      },
    },
  };
  return [policy, binding];
}
