import { dirname } from "node:path";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
} from "@kubernetes/client-node";
import { workloadName } from "@slipway/core";
import { applySetId, createClusterObjects, createKubeWorkloads } from "@slipway/kube";
import type { Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { serviceFiles } from "../../../infra/services/index.ts";
import { bootstrapImage } from "../../../infra/settings.ts";
import { applyRequest, type KubeObject } from "../../../infra/workload-objects.ts";
import { startFaultProxy } from "../../harness/fault-proxy.ts";
import { kubectl, kubectlPath } from "../../harness/kubectl.ts";
import { waitForRollout } from "../../kube/deployment-rollout.ts";
import { waitFor } from "../../kube/wait-for.ts";
import { stageObjectsIn } from "./stage-objects.ts";

/**
 * The in-cluster half of `sst deploy`, for real: the objects infra renders for each stage go
 * through the apply function's handler (the code the deploy invokes inside the VPC) to a
 * real API server, become Ready on kwok, and take the deployer's first image patch as the
 * restricted deployer identity. Only Secrets Manager is stubbed. The objects move to a
 * namespace of this suite's own, so it cannot collide with the deploy suites' `chat`.
 */
const kube = inject("kube");
const load = (path: string) => {
  const config = new KubeConfig();
  config.loadFromFile(path);
  return config;
};
const admin = load(kube.kubeconfigAdmin);
const apps = admin.makeApiClient(AppsV1Api);
const core = admin.makeApiClient(CoreV1Api);
const networking = admin.makeApiClient(NetworkingV1Api);
const secretId = "arn:aws:secretsmanager:us-east-1:123456789012:secret:slipway-itest-AbCdEf";
const secretValues = {
  databaseUrl: "postgres://chat:pw@db.internal:5432/chat?sslmode=require",
  tokenSecret: "t".repeat(48),
  sessionSecret: "s".repeat(48),
};
const certificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/abc";
const applySetName = "slipway-itest";

type Handler = (
  event: unknown,
  context?: Context,
) => Promise<{
  ok: boolean;
  applied: string[];
  created: string[];
  pruned: string[];
}>;
let handler: Handler;
const secretsManager = mockClient(SecretsManagerClient);

beforeAll(async () => {
  process.env.PATH = `${dirname(kubectlPath)}:${process.env.PATH}`;
  secretsManager
    .on(GetSecretValueCommand, { SecretId: secretId })
    .resolves({ SecretString: JSON.stringify(secretValues) });
  await installIngressClassParamsStandIn();
  Object.assign(process.env, {
    KUBECONFIG: kube.kubeconfigAdmin,
    APPLYSET_NAME: applySetName,
    BOOTSTRAP_IMAGE: bootstrapImage,
  });
  delete process.env.EKS_CLUSTER_NAME;
  ({ handler } = (await import("../../../functions/apply-manifests/handler.ts")) as {
    handler: Handler;
  });
});

afterAll(() => {
  secretsManager.restore();
});

/**
 * EKS Auto Mode serves IngressClassParams (eks.amazonaws.com/v1); a plain API server does
 * not, so this suite registers a schemaless stand-in of the same group, kind and scope.
 */
async function installIngressClassParamsStandIn() {
  const crds = admin.makeApiClient(ApiextensionsV1Api);
  const name = "ingressclassparams.eks.amazonaws.com";
  try {
    await crds.readCustomResourceDefinition({ name });
    return;
  } catch {
    // not there yet
  }
  await crds.createCustomResourceDefinition({
    body: {
      metadata: { name },
      spec: {
        group: "eks.amazonaws.com",
        scope: "Cluster",
        names: {
          plural: "ingressclassparams",
          singular: "ingressclassparams",
          kind: "IngressClassParams",
        },
        versions: [
          {
            name: "v1",
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: { type: "object", x_kubernetes_preserve_unknown_fields: true },
            },
          },
        ],
      },
    },
  });
  await waitFor(
    "IngressClassParams stand-in established",
    async () => {
      const crd = await crds.readCustomResourceDefinition({ name });
      const established = crd.status?.conditions?.some(
        (c) => c.type === "Established" && c.status === "True",
      );
      return established || undefined;
    },
    { timeoutMs: 30_000 },
  );
}

const registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway";

/** The stage's objects as infra renders them, in this suite's namespace. */
function stageObjects(
  overlay: "dev" | "production",
  namespace: string,
  https: boolean,
): KubeObject[] {
  return stageObjectsIn(overlay, namespace, https ? { registry, certificateArn } : { registry });
}

const context = (remainingMs = 120_000) =>
  ({ getRemainingTimeInMillis: () => remainingMs }) as Context;

function invocation(
  objects: KubeObject[],
  namespace: string,
  action: "create" | "update" | "delete",
) {
  return {
    ...applyRequest({
      stage: "itest",
      // The chat's declared Secrets, in this suite's namespace.
      secrets: chat.secrets?.map((secret) => ({ ...secret, namespace })) ?? [],
      objects,
      secretId,
      secretVersion: "v1",
      deployedAt: new Date().toISOString(),
    }),
    tf: { action },
  };
}

/** The chat as infra/services/chat.ts declares it: its Deployments and containers. */
const declaredChat = serviceFiles.find((service) => service.name === "chat");
if (declaredChat === undefined) throw new Error("no chat service declared");
const chat = declaredChat;
const workloadDeployments = chat.deployments.flatMap((d) =>
  d.containers.map((container) => ({ name: d.name, container })),
);

const containerOf = (deployment: V1Deployment, name: string) =>
  deployment.spec?.template.spec?.containers.find((c) => c.name === name);

describe.each([
  { overlay: "dev" as const, https: false },
  { overlay: "production" as const, https: true },
])("the $overlay stage's cluster objects (https: $https)", ({ overlay, https }) => {
  const namespace = `objects-${overlay}`;
  const objects = stageObjects(overlay, namespace, https);

  it("are applied without waiting on anything that cannot exist yet, and the pods become Ready", async () => {
    const report = await handler(invocation(objects, namespace, "create"), context());

    expect(report.ok).toBe(true);
    expect(report.created.sort()).toEqual(
      workloadDeployments.map((d) => `Deployment.apps/${namespace}/${d.name}`).sort(),
    );
    expect(report.applied).toHaveLength(objects.length + 2); // plus the two Secrets
    // The Ingress got no load balancer here, and the apply did not wait for one.
    const ingress = await networking.readNamespacedIngress({ name: "chat-web", namespace });
    expect(ingress.status?.loadBalancer?.ingress ?? []).toEqual([]);
    const secret = await core.readNamespacedSecret({ name: "chat-database", namespace });
    expect(Buffer.from(secret.data?.url ?? "", "base64").toString()).toBe(secretValues.databaseUrl);
    for (const { name, container } of workloadDeployments) {
      const deployment = await waitForRollout(apps, name, namespace, 90_000);
      expect(containerOf(deployment, container)?.image).toBe(bootstrapImage);
    }
  });

  it("take the deployer's first image patch as the restricted deployer identity, and keep it on the next deploy", async () => {
    const deployer = createKubeWorkloads({ config: load(kube.kubeconfigDeployer) });
    const image = `${registry}@sha256:${"a".repeat(64)}`;
    for (const { name, container } of workloadDeployments) {
      const target = { namespace, name, container };
      const state = await deployer.read(target);
      await deployer.setImage(target, {
        image,
        resourceVersion: state.resourceVersion,
        highWater: 1,
        annotations: { "slipway.dev/sequence": "1" },
      });
      await waitForRollout(apps, name, namespace, 90_000);
    }
    // The autoscaler's replica count, as an HPA would set it through the scale subresource.
    await apps.patchNamespacedDeploymentScale(
      { name: "chat-server", namespace, body: { spec: { replicas: 3 } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );

    const report = await handler(invocation(objects, namespace, "update"), context());

    expect(report.created).toEqual([]);
    for (const { name, container } of workloadDeployments) {
      const deployment = await apps.readNamespacedDeployment({ name, namespace });
      expect(
        containerOf(deployment, container)?.image,
        workloadName({ namespace, name, container }),
      ).toBe(image);
      // The guard of the deployer's next, unread patch survives infra's forced apply too.
      expect(deployment.metadata?.labels?.["slipway.dev/high-water"]).toBe("1");
    }
    expect(
      (await apps.readNamespacedDeployment({ name: "chat-server", namespace })).spec?.replicas,
    ).toBe(3);
  });

  it("remove what a deploy no longer sends: a removed object is pruned, a removed env var is gone", async () => {
    const fewer = objects
      .filter((o) => !(o.kind === "PodDisruptionBudget" && o.metadata.name === "chat-web"))
      .map((o) => {
        if (o.kind !== "Deployment" || o.metadata.name !== "chat-server") return o;
        const copy = structuredClone(o);
        const spec = copy.spec as {
          template: { spec: { containers: Array<{ env?: Array<{ name: string }> }> } };
        };
        for (const c of spec.template.spec.containers)
          c.env = c.env?.filter((e) => e.name !== "SHUTDOWN_GRACE_MS");
        return copy;
      });

    const report = await handler(invocation(fewer, namespace, "update"), context());

    expect(report.pruned).toEqual([`PodDisruptionBudget.policy/${namespace}/chat-web`]);
    const server = await apps.readNamespacedDeployment({ name: "chat-server", namespace });
    expect(containerOf(server, "server")?.env?.map((e) => e.name)).not.toContain(
      "SHUTDOWN_GRACE_MS",
    );
    expect(containerOf(server, "server")?.image).toMatch(/@sha256:a{64}$/);
  });

  it("are all deleted on sst remove, and the removal waits until they are gone", async () => {
    const report = await handler(invocation(objects, namespace, "delete"), context());

    expect(report.pruned).toEqual(
      expect.arrayContaining([
        `Namespace//${namespace}`,
        "IngressClass.networking.k8s.io//slipway",
      ]),
    );
    await expect(core.readNamespace({ name: namespace })).rejects.toMatchObject({ code: 404 });
    await expect(networking.readIngressClass({ name: "slipway" })).rejects.toMatchObject({
      code: 404,
    });
    await expect(
      core.readNamespacedConfigMap({ name: applySetName, namespace: "kube-system" }),
    ).rejects.toMatchObject({
      code: 404,
    });
  });
});

describe("a stage's objects that cannot be applied", () => {
  const namespace = "objects-refused";

  it("are refused whole, before anything is written, naming each object and what is wrong", async () => {
    const lacking = stageObjects("dev", namespace, false);
    const service = lacking.find((o) => o.kind === "Service" && o.metadata.name === "chat-web");
    if (service) delete service.metadata.namespace;

    await expect(handler(invocation(lacking, namespace, "create"), context())).rejects.toThrow(
      /Service\/\/chat-web: a namespaced Service needs metadata.namespace/,
    );
    await expect(core.readNamespace({ name: namespace })).rejects.toMatchObject({ code: 404 });
  });

  it("refuse a kind the server does not serve", async () => {
    const objects = [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } },
      { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", namespace } },
    ];
    await expect(handler(invocation(objects, namespace, "create"), context())).rejects.toThrow(
      /the server has no kind example.com\/v1\/Widget/,
    );
    await expect(core.readNamespace({ name: namespace })).rejects.toMatchObject({ code: 404 });
  });
});

describe("an API server that is not ready for the apply yet", () => {
  it("is retried: admission webhooks answering 500 and an access entry not yet in effect (401)", async () => {
    const cluster = admin.getCurrentCluster();
    const token = admin.getCurrentUser()?.token;
    if (!cluster || !token) throw new Error("the admin kubeconfig names no cluster or token");
    const proxy = await startFaultProxy({
      upstream: cluster.server,
      ...(cluster.caData ? { caPem: Buffer.from(cluster.caData, "base64") } : {}),
      skipTlsVerify: cluster.skipTLSVerify,
    });
    try {
      const config = new KubeConfig();
      config.loadFromClusterAndUser(
        { name: "via-fault-proxy", server: proxy.url, skipTLSVerify: true },
        { name: "admin", token },
      );
      const namespace = "objects-retried";
      proxy.inject({ path: "/ingresses", method: "PATCH", fault: { status: 500 }, times: 3 });
      proxy.inject({ path: "/namespaces/", method: "PATCH", fault: { status: 401 }, times: 2 });
      const objects = stageObjects("dev", namespace, false);
      const applier = createClusterObjects({
        config,
        parent: { name: "slipway-retried", namespace: "kube-system" },
        bootstrapImage,
        sleep: async () => {},
      });

      const report = await applier.apply(objects);

      expect(report.applied).toContain(`Ingress.networking.k8s.io/${namespace}/chat-web`);
      expect(proxy.requests.filter((r) => r.injected).length).toBe(5);
      await applier.removeAll(new Date(Date.now() + 60_000));
    } finally {
      await proxy.stop();
    }
  });
});

describe("the ApplySet", () => {
  it("has the id kubectl computes for the same parent, so kubectl sees the same set", async () => {
    const name = "applyset-id-check";
    const manifest = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applyset-member\n  namespace: kube-system\n`;
    await kubectl(
      [
        "apply",
        "--server-side",
        "--prune",
        `--applyset=configmap/${name}`,
        "-n",
        "kube-system",
        "-f",
        "-",
      ],
      { kubeconfig: kube.kubeconfigAdmin, input: manifest, env: { KUBECTL_APPLYSET: "true" } },
    );
    const parent = await core.readNamespacedConfigMap({ name, namespace: "kube-system" });
    expect(parent.metadata?.labels?.["applyset.kubernetes.io/id"]).toBe(
      applySetId({ name, namespace: "kube-system" }),
    );
  });
});
