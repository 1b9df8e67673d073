import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { ConflictError } from "@slipway/core";
import { createKubeWorkloads } from "@slipway/kube";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapImage } from "../../../infra/settings.ts";
import { waitForRollout } from "../../kube/deployment-rollout.ts";
import { guardedStage, strategicMerge as smp } from "./guarded-stage.ts";

/**
 * The deployer's limits as the real API server enforces them: the production stage's Role
 * (resourceNames) and admission policy, applied by the apply function's code, judged against
 * the restricted deployer identity (group slipway:deployers). Its own rollout is admitted;
 * every other change to a pod template, and every other object, is refused.
 */
const namespace = "admission-production";
const registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-production";
const stage = guardedStage(namespace, registry);
const { adminApps, apps, core, deployer } = stage;
const digest = (c: string) => `@sha256:${c.repeat(64)}`;

/** A strategic merge patch to the chat server's one container. */
const container = (fields: Record<string, unknown>) => ({
  spec: { template: { spec: { containers: [{ name: "server", ...fields }] } } },
});
const patchServer = (body: object, client = apps) =>
  client.patchNamespacedDeployment({ name: "chat-server", namespace, body }, smp);

beforeAll(() => stage.apply(), 120_000);

afterAll(() => stage.remove());

describe("the deployer's own changes", () => {
  it("admits its rollout: the image by digest from the stage's registry, with its annotations, followed by name", async () => {
    const workloads = createKubeWorkloads({ config: deployer, watchSeconds: 5 });
    const target = { namespace, name: "chat-server", container: "server" };
    const image = `${registry}${digest("b")}`;
    const state = await workloads.read(target);

    const patched = await workloads.setImage(target, {
      image,
      resourceVersion: state.resourceVersion,
      highWater: 7,
      annotations: {
        "slipway.dev/sequence": "7",
        "kubernetes.io/change-cause": "slipway #7 abc1234",
      },
    });

    expect(patched).toMatchObject({ image, highWater: 7 });
    const rolled = await waitForRollout(adminApps, "chat-server", namespace, 60_000);
    expect(rolled.metadata?.annotations?.["slipway.dev/sequence"]).toBe("7");
    expect(rolled.metadata?.labels?.["slipway.dev/high-water"]).toBe("7");
    const revisions = await workloads.revisions(target);
    expect(revisions[0]?.image).toBe(image);
  });

  it("admits its unread rollout (a JSON patch guarded by the high-water label) only at that high-water", async () => {
    const workloads = createKubeWorkloads({ config: deployer, watchSeconds: 5 });
    const target = { namespace, name: "chat-server", container: "server" };
    const before = await workloads.read(target);
    const image = `${registry}${digest("e")}`;
    const change = {
      image,
      highWater: 8,
      annotations: { "slipway.dev/sequence": "8", "kubernetes.io/change-cause": "slipway #8" },
    };

    // Another high-water than the label's, or a container the template lacks: nothing changes.
    await expect(workloads.setImage(target, { ...change, whileHighWater: 6 })).rejects.toThrow(
      ConflictError,
    );
    await expect(
      workloads.setImage({ ...target, container: "sidecar" }, { ...change, whileHighWater: 7 }),
    ).rejects.toThrow(ConflictError);
    expect((await workloads.read(target)).resourceVersion).toBe(before.resourceVersion);

    const patched = await workloads.setImage(target, { ...change, whileHighWater: 7 });

    expect(patched).toMatchObject({ image, highWater: 8 });
    expect(patched.annotations).toMatchObject({
      "slipway.dev/sequence": "8",
      "slipway.dev/previous-image": before.image,
      "kubernetes.io/change-cause": "slipway #8",
    });
    await waitForRollout(adminApps, "chat-server", namespace, 60_000);
  });

  it("admits a rollback to the image that ran before the first rollout (the bootstrap image)", async () => {
    const patched = await patchServer(container({ image: bootstrapImage }));
    expect(patched.spec?.template.spec?.containers[0]?.image).toBe(bootstrapImage);
  });
});

const policyRefusals: Array<{ what: string; body: object; says: string }> = [
  {
    what: "adds an env var",
    body: container({ env: [{ name: "NODE_OPTIONS", value: "--require /tmp/x.js" }] }),
    says: "only a container's image",
  },
  {
    what: "reads a Secret into the environment",
    body: container({ envFrom: [{ secretRef: { name: "chat-token" } }] }),
    says: "only a container's image",
  },
  { what: "changes the command", body: container({ command: ["sh", "-c"] }), says: "image" },
  {
    what: "mounts a Secret as a volume",
    body: {
      spec: {
        template: {
          spec: {
            volumes: [{ name: "loot", secret: { secretName: "chat-database" } }],
            containers: [{ name: "server", volumeMounts: [{ name: "loot", mountPath: "/loot" }] }],
          },
        },
      },
    },
    says: "pod spec",
  },
  {
    what: "adds a sidecar",
    body: {
      spec: {
        template: { spec: { containers: [{ name: "miner", image: `${registry}${digest("c")}` }] } },
      },
    },
    says: "only a container's image",
  },
  {
    what: "runs as root",
    body: container({ securityContext: { runAsNonRoot: false, runAsUser: 0 } }),
    says: "only a container's image",
  },
  {
    what: "switches the service account",
    body: { spec: { template: { spec: { serviceAccountName: "default" } } } },
    says: "pod spec",
  },
  {
    what: "joins the host network",
    body: { spec: { template: { spec: { hostNetwork: true } } } },
    says: "pod spec",
  },
  {
    what: "rolls out an image from another registry",
    body: container({ image: `docker.io/attacker/miner${digest("d")}` }),
    says: "an image must be",
  },
  {
    what: "rolls out from a look-alike repository name",
    body: container({ image: `${registry}-evil${digest("d")}` }),
    says: "an image must be",
  },
  {
    what: "rolls out the stage's registry by tag",
    body: container({ image: `${registry}:latest` }),
    says: "an image must be",
  },
  {
    what: "rolls out a short digest",
    body: container({ image: `${registry}@sha256:abc` }),
    says: "an image must be",
  },
  { what: "scales to zero", body: { spec: { replicas: 0 } }, says: "Deployment's spec" },
  {
    what: "annotates the pod template",
    body: { spec: { template: { metadata: { annotations: { "x/y": "z" } } } } },
    says: "pod template",
  },
  {
    what: "sets a foreign annotation on the Deployment",
    body: { metadata: { annotations: { "example.com/owner": "attacker" } } },
    says: "slipway.dev/* and kubernetes.io/change-cause",
  },
  {
    what: "relabels the Deployment",
    body: { metadata: { labels: { "app.kubernetes.io/part-of": "other" } } },
    says: "labels but slipway.dev/high-water",
  },
  {
    what: "lowers the high-water label",
    body: { metadata: { labels: { "slipway.dev/high-water": "2" } } },
    says: "may only go up",
  },
  {
    what: "sets the high-water label to something else than a sequence",
    body: { metadata: { labels: { "slipway.dev/high-water": "999999999999999999" } } },
    says: "a sequence number",
  },
  {
    what: "removes the high-water label",
    body: { metadata: { labels: { "slipway.dev/high-water": null } } },
    says: "labels but slipway.dev/high-water",
  },
];

describe("the admission policy", () => {
  it.each(policyRefusals)("refuses a patch that $what, saying why", async ({ body, says }) => {
    await expect(patchServer(body)).rejects.toMatchObject({
      code: 422,
      body: expect.stringContaining(says),
    });
  });

  it("judges only the deployer: an admin's template change is admitted", async () => {
    const patched = await patchServer(
      container({ env: [{ name: "ADMIN_SET", value: "1" }] }),
      adminApps,
    );
    expect(
      patched.spec?.template.spec?.containers[0]?.env?.some((e) => e.name === "ADMIN_SET"),
    ).toBe(true);
  });
});

describe("the deployer's Role (resourceNames)", () => {
  const forbidden = { code: 403 };

  it("refuses another Deployment in the namespace, another namespace, and other verbs", async () => {
    await stage.createIntruder();
    const image = container({ image: `${registry}${digest("e")}` });

    await expect(
      apps.patchNamespacedDeployment({ name: "intruder", namespace, body: image }, smp),
    ).rejects.toMatchObject(forbidden);
    await expect(
      apps.readNamespacedDeployment({ name: "intruder", namespace }),
    ).rejects.toMatchObject(forbidden);
    await expect(
      apps.patchNamespacedDeployment(
        { name: "chat-server", namespace: "default", body: image },
        smp,
      ),
    ).rejects.toMatchObject(forbidden);
    await expect(
      apps.deleteNamespacedDeployment({ name: "chat-server", namespace }),
    ).rejects.toMatchObject(forbidden);
    const current = await apps.readNamespacedDeployment({ name: "chat-server", namespace });
    await expect(
      apps.replaceNamespacedDeployment({ name: "chat-server", namespace, body: current }),
    ).rejects.toMatchObject(forbidden);
    await expect(
      apps.patchNamespacedDeploymentScale(
        { name: "chat-server", namespace, body: { spec: { replicas: 0 } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      ),
    ).rejects.toMatchObject(forbidden);
  });

  it("refuses Secrets, pods and ConfigMaps", async () => {
    await expect(core.listNamespacedSecret({ namespace })).rejects.toMatchObject(forbidden);
    await expect(
      core.readNamespacedSecret({ name: "chat-token", namespace }),
    ).rejects.toMatchObject(forbidden);
    await expect(core.listNamespacedPod({ namespace })).rejects.toMatchObject(forbidden);
    await expect(
      core.patchNamespacedConfigMap(
        {
          name: "kube-root-ca.crt",
          namespace,
          body: { data: { "ca.crt": "attacker" } },
        },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      ),
    ).rejects.toMatchObject(forbidden);
  });
});
