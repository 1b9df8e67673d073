import { CoreV1Api, type KubeConfig, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { deployerGroup } from "./identities.ts";

/**
 * Creates the workload namespace and the deployer's Role, the same least
 * privilege as production (DESIGN rule 7): get, patch and watch Deployments
 * and list ReplicaSets in this namespace only, for the group an EKS access
 * entry would map the deploy function's role to. A `watch` with
 * fieldSelector=metadata.name works without `list`; `kubectl rollout status`
 * lists first, so it would need more.
 */
export async function createWorkloadAccess(admin: KubeConfig, namespace: string): Promise<void> {
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const name = "slipway-deployer";
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await rbac.createNamespacedRole({
    namespace,
    body: {
      metadata: { name, namespace },
      rules: [
        { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "patch", "watch"] },
        { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["list"] },
      ],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name, namespace },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: deployerGroup }],
    },
  });
}
