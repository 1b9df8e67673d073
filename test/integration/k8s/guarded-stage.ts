import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { createClusterObjects } from "@slipway/kube";
import { bootstrapImage } from "../../../infra/settings.ts";
import { waitForRollout } from "../../kube/deployment-rollout.ts";
import { waitFor } from "../../kube/wait-for.ts";
import { adminApps, kube, loadKubeConfig } from "../deploy/cluster-kit.ts";
import { stageObjectsIn } from "./stage-objects.ts";

/** What the deployer's Role and admission need; the Services and Ingresses are not involved. */
export const guardKinds = new Set([
  "Namespace",
  "Role",
  "RoleBinding",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "Deployment",
]);

export const strategicMerge = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);

/**
 * The production stage's Deployments with the deployer's Role and admission policy, in their
 * own namespace, applied by the apply function's code as admin; clients as admin and as the
 * restricted deployer (group slipway:deployers). For the suites that attack the deployer.
 */
export function guardedStage(namespace: string, registry: string) {
  const admin = loadKubeConfig(kube.kubeconfigAdmin);
  const deployer = loadKubeConfig(kube.kubeconfigDeployer);
  const apps = deployer.makeApiClient(AppsV1Api);
  const applier = createClusterObjects({
    config: admin,
    parent: { name: `slipway-${namespace}`, namespace: "kube-system" },
    bootstrapImage,
  });
  return {
    deployer,
    adminApps,
    apps,
    core: deployer.makeApiClient(CoreV1Api),
    /** Applies the objects, waits for the rollouts and until the policy refuses what it must. */
    async apply() {
      const objects = stageObjectsIn("production", namespace, { registry }).filter((o) =>
        guardKinds.has(o.kind),
      );
      await applier.apply(objects);
      for (const name of ["chat-server", "chat-web"]) {
        await waitForRollout(adminApps, name, namespace, 90_000);
      }
      // The API server loads policies and bindings through informers: wait until a change
      // the policy refuses is refused (a dry run, so nothing is written meanwhile).
      const body = { spec: { template: { spec: { hostNetwork: true } } } };
      await waitFor(
        "the deployer's admission policy in effect",
        async () => {
          try {
            await apps.patchNamespacedDeployment(
              { name: "chat-server", namespace, body, dryRun: "All" },
              strategicMerge,
            );
            return undefined;
          } catch (error) {
            return (error as { code?: number }).code === 422 || undefined;
          }
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      );
    },
    /** Another Deployment in the namespace, created as admin: the deployer's Role names it not. */
    createIntruder() {
      return adminApps.createNamespacedDeployment({
        namespace,
        body: {
          metadata: { name: "intruder", namespace },
          spec: {
            selector: { matchLabels: { app: "intruder" } },
            template: {
              metadata: { labels: { app: "intruder" } },
              spec: { containers: [{ name: "x", image: bootstrapImage }] },
            },
          },
        },
      });
    },
    remove: () => applier.removeAll(new Date(Date.now() + 60_000)),
  };
}
