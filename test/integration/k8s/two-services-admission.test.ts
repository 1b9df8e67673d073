import { AppsV1Api } from "@kubernetes/client-node";
import { createClusterObjects } from "@slipway/kube";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapImage } from "../../../infra/settings.ts";
import { renderManifests, stageObjectsFor } from "../../../infra/workload-objects.ts";
import { waitForRollout } from "../../kube/deployment-rollout.ts";
import { waitFor } from "../../kube/wait-for.ts";
import { adminApps, kube, loadKubeConfig } from "../deploy/cluster-kit.ts";
import { guardKinds, strategicMerge } from "./guarded-stage.ts";
import { movedTo } from "./stage-objects.ts";

/**
 * Two services on one stage, as infra applies them (stageObjectsFor): each namespace has its
 * own deployer Role and admission policy naming its own registry. The deployer is one identity
 * (group slipway:deployers), so what keeps one service's image out of the other's Deployment is
 * the policy of that Deployment's namespace, judged here by the real API server.
 */
const chat = {
  namespace: "two-chat",
  registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-production-chat",
};
const greeter = {
  namespace: "two-greeter",
  registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-production-greeter",
};

const digest = (c: string) => `@sha256:${c.repeat(64)}`;

const admin = loadKubeConfig(kube.kubeconfigAdmin);
const apps = loadKubeConfig(kube.kubeconfigDeployer).makeApiClient(AppsV1Api);
const applier = createClusterObjects({
  config: admin,
  parent: { name: "slipway-two-services", namespace: "kube-system" },
  bootstrapImage,
});
const setImage = (
  namespace: string,
  name: string,
  container: string,
  image: string,
  dryRun = true,
) =>
  apps.patchNamespacedDeployment(
    {
      name,
      namespace,
      body: { spec: { template: { spec: { containers: [{ name: container, image }] } } } },
      ...(dryRun ? { dryRun: "All" } : {}),
    },
    strategicMerge,
  );
const refusal = (attempt: Promise<unknown>) =>
  attempt.then(
    () => "admitted",
    (error: { code?: number }) => error.code,
  );

beforeAll(async () => {
  const objects = stageObjectsFor(
    [
      {
        rendered: movedTo(renderManifests("k8s/overlays/production"), chat.namespace),
        registry: chat.registry,
      },
      {
        rendered: movedTo(renderManifests("k8s/services/greeter"), greeter.namespace),
        registry: greeter.registry,
      },
    ],
    {},
  ).filter((o) => guardKinds.has(o.kind));
  await applier.apply(objects);
  await waitForRollout(adminApps, "greeter", greeter.namespace, 90_000);
  // Policies load through informers: wait until the greeter's refuses a foreign registry.
  await waitFor(
    "both namespaces' admission policies in effect",
    async () =>
      (await refusal(
        setImage(greeter.namespace, "greeter", "greeter", `${chat.registry}${digest("a")}`),
      )) === 422 &&
      (await refusal(
        setImage(chat.namespace, "chat-server", "server", `${greeter.registry}${digest("a")}`),
      )) === 422
        ? true
        : undefined,
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}, 150_000);

afterAll(() => applier.removeAll(new Date(Date.now() + 60_000)));

describe("two services, one deployer identity", () => {
  it("admits each service's image from its own registry into its own Deployments", async () => {
    expect(
      await refusal(
        setImage(
          greeter.namespace,
          "greeter",
          "greeter",
          `${greeter.registry}${digest("b")}`,
          false,
        ),
      ),
    ).toBe("admitted");
    expect(
      await refusal(
        setImage(chat.namespace, "chat-server", "server", `${chat.registry}${digest("b")}`),
      ),
    ).toBe("admitted");
  });

  it("refuses one service's image in the other's Deployments, either way", async () => {
    expect(
      await refusal(
        setImage(greeter.namespace, "greeter", "greeter", `${chat.registry}${digest("c")}`),
      ),
    ).toBe(422);
    expect(
      await refusal(
        setImage(chat.namespace, "chat-web", "web", `${greeter.registry}${digest("c")}`),
      ),
    ).toBe(422);
  });
});
