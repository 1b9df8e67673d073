import { createHash } from "node:crypto";

/**
 * The set of objects one Slipway stage keeps in its cluster, as Kubernetes ApplySets define
 * it (KEP-3659, the scheme behind `kubectl apply --prune --applyset`): a parent object names
 * the group-kinds and namespaces its members may live in, and each member carries the
 * parent's id as a label. Pruning lists those kinds by that label and deletes what the new
 * set no longer holds, so nothing another tool created is ever touched.
 * @see https://github.com/kubernetes/enhancements/tree/master/keps/sig-cli/3659-kubectl-apply-prune
 */

/** A manifest as rendered: any kind, identified by apiVersion, kind, namespace and name. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export const applySetLabels = {
  /** On the parent: the set's id. */
  id: "applyset.kubernetes.io/id",
  /** On each member: the id of the set it belongs to. */
  partOf: "applyset.kubernetes.io/part-of",
} as const;

export const applySetAnnotations = {
  tooling: "applyset.kubernetes.io/tooling",
  groupKinds: "applyset.kubernetes.io/contains-group-kinds",
  namespaces: "applyset.kubernetes.io/additional-namespaces",
} as const;

/** kubectl refuses to prune a set another tool manages; this names Slipway's. */
export const applySetTooling = "slipway/v1";

/** Where the parent lives: a ConfigMap in a namespace every cluster has. */
export interface ApplySetParent {
  name: string;
  namespace: string;
}

/**
 * The set's id, as KEP-3659 computes it: `applyset-` + unpadded base64url of the SHA-256 of
 * `<name>.<namespace>.<kind>.<group>` + `-v1` (a ConfigMap's group is the empty core group).
 */
export function applySetId(parent: ApplySetParent): string {
  const digest = createHash("sha256")
    .update([parent.name, parent.namespace, "ConfigMap", ""].join("."))
    .digest("base64url");
  return `applyset-${digest}-v1`;
}

/** `Deployment.apps`, or just `Secret` for the core group: the KEP's group-kind spelling. */
export function groupKind(object: Pick<KubeObject, "apiVersion" | "kind">): string {
  const slash = object.apiVersion.indexOf("/");
  return slash < 0 ? object.kind : `${object.kind}.${object.apiVersion.slice(0, slash)}`;
}

/** One key per object: two manifests with the same key are the same object on the server. */
export function objectKey(object: Pick<KubeObject, "apiVersion" | "kind" | "metadata">): string {
  return `${groupKind(object)}/${object.metadata.namespace ?? ""}/${object.metadata.name}`;
}

/**
 * Order of application, the way Helm installs: namespaces and definitions first, then what
 * pods read (service accounts, secrets, config, RBAC), then networking and workloads, and the
 * objects that refer to workloads (autoscalers, disruption budgets, ingresses) last.
 * Pruning runs in the reverse order. Unknown kinds go between workloads and their referrers.
 */
const applyOrder = [
  "Namespace",
  "CustomResourceDefinition",
  "PriorityClass",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "NetworkPolicy",
  "ResourceQuota",
  "LimitRange",
  "ServiceAccount",
  "Secret",
  "ConfigMap",
  "ClusterRole",
  "ClusterRoleBinding",
  "Role",
  "RoleBinding",
  "Service",
  "DaemonSet",
  "Deployment",
  "StatefulSet",
  "Job",
  "CronJob",
];
const referrers = [
  "HorizontalPodAutoscaler",
  "PodDisruptionBudget",
  "IngressClassParams",
  "IngressClass",
  "Ingress",
];

function rank(kind: string): number {
  const position = applyOrder.indexOf(kind);
  if (position >= 0) return position;
  const late = referrers.indexOf(kind);
  return late >= 0 ? applyOrder.length + 1 + late : applyOrder.length;
}

/** The objects in the order they are applied; stable within a kind. */
export function inApplyOrder<T extends Pick<KubeObject, "kind">>(objects: readonly T[]): T[] {
  return [...objects].sort((a, b) => rank(a.kind) - rank(b.kind));
}

/** The same objects, each labelled as a member of the set. */
export function asMembers(objects: readonly KubeObject[], id: string): KubeObject[] {
  return objects.map((object) => ({
    ...object,
    metadata: {
      ...object.metadata,
      labels: { ...object.metadata.labels, [applySetLabels.partOf]: id },
    },
  }));
}

/** What the parent records: every group-kind and namespace the set may hold, sorted. */
export interface ApplySetScope {
  groupKinds: string[];
  namespaces: string[];
}

export function scopeOf(objects: readonly KubeObject[]): ApplySetScope {
  const groupKinds = new Set(objects.map(groupKind));
  const namespaces = new Set<string>();
  for (const object of objects) {
    if (object.metadata.namespace) namespaces.add(object.metadata.namespace);
    if (object.kind === "Namespace") namespaces.add(object.metadata.name);
  }
  return { groupKinds: [...groupKinds].sort(), namespaces: [...namespaces].sort() };
}

export function unionScope(a: ApplySetScope, b: ApplySetScope): ApplySetScope {
  return {
    groupKinds: [...new Set([...a.groupKinds, ...b.groupKinds])].sort(),
    namespaces: [...new Set([...a.namespaces, ...b.namespaces])].sort(),
  };
}

/** The parent ConfigMap: its id label, and the scope it may prune in. */
export function parentObject(
  parent: ApplySetParent,
  scope: ApplySetScope,
): KubeObject & { data: Record<string, string> } {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: parent.name,
      namespace: parent.namespace,
      labels: { [applySetLabels.id]: applySetId(parent) },
      annotations: {
        [applySetAnnotations.tooling]: applySetTooling,
        [applySetAnnotations.groupKinds]: scope.groupKinds.join(","),
        [applySetAnnotations.namespaces]: scope.namespaces.join(","),
      },
    },
    data: {},
  };
}

/** Reads the scope back from a parent's annotations; an absent parent has an empty scope. */
export function scopeFromParent(annotations: Record<string, string> | undefined): ApplySetScope {
  const list = (value: string | undefined) => (value ? value.split(",").filter(Boolean) : []);
  return {
    groupKinds: list(annotations?.[applySetAnnotations.groupKinds]),
    namespaces: list(annotations?.[applySetAnnotations.namespaces]),
  };
}

/**
 * Members found on the server that the desired set no longer holds, in prune order (the
 * reverse of apply order: ingresses before the workloads they route to, namespaces last).
 */
export function toPrune<T extends KubeObject>(
  found: readonly T[],
  desired: readonly KubeObject[],
): T[] {
  const keep = new Set(desired.map(objectKey));
  return inApplyOrder(found.filter((object) => !keep.has(objectKey(object)))).reverse();
}
