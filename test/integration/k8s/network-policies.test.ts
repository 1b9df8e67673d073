import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  NetworkingV1Api,
  type V1NetworkPolicy,
  type V1Pod,
} from "@kubernetes/client-node";
import { createClusterObjects } from "@slipway/kube";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { bootstrapImage } from "../../../infra/settings.ts";
import { waitForRollout } from "../../kube/deployment-rollout.ts";
import { allows, type Endpoint, type Flow, labelSelectorQuery } from "./network-policy-model.ts";
import { stageObjectsIn } from "./stage-objects.ts";

/**
 * The stage's NetworkPolicies on the real API server: they apply through the apply
 * function's code, and each selects the pods it means (the server's own label selection
 * over the pods kwok runs). The local control plane has no network plugin, so nothing here
 * enforces them: what they allow is judged by the NetworkPolicy rules
 * (network-policy-model.ts) over the pods' real labels and addresses.
 */
const kube = inject("kube");
const admin = new KubeConfig();
admin.loadFromFile(kube.kubeconfigAdmin);
const apps = admin.makeApiClient(AppsV1Api);
const core = admin.makeApiClient(CoreV1Api);
const networking = admin.makeApiClient(NetworkingV1Api);
const namespace = "netpol-production";
const applier = createClusterObjects({
  config: admin,
  parent: { name: "slipway-netpol", namespace: "kube-system" },
  bootstrapImage,
});
const kinds = new Set(["Namespace", "NetworkPolicy", "Deployment"]);

let policies: V1NetworkPolicy[];
let pods: V1Pod[];

beforeAll(async () => {
  const objects = stageObjectsIn("production", namespace, {
    registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway",
  }).filter((o) => kinds.has(o.kind));
  await applier.apply(objects);
  for (const name of ["chat-server", "chat-web"])
    await waitForRollout(apps, name, namespace, 90_000);
  policies = (await networking.listNamespacedNetworkPolicy({ namespace })).items;
  pods = (await core.listNamespacedPod({ namespace })).items;
}, 120_000);

afterAll(async () => {
  await applier.removeAll(new Date(Date.now() + 60_000));
});

const appOf = (pod: V1Pod) => pod.metadata?.labels?.["app.kubernetes.io/name"];

describe("the stage's NetworkPolicies", () => {
  it("are applied, and each selects the pods it names, as the API server selects them", async () => {
    const selected: Record<string, string[]> = {};
    for (const policy of policies) {
      const list = await core.listNamespacedPod({
        namespace,
        labelSelector: labelSelectorQuery(policy.spec?.podSelector),
      });
      selected[policy.metadata?.name ?? ""] = [
        ...new Set(list.items.map(appOf)),
      ].sort() as string[];
    }

    // As written: the ingress sources survive the apply (client-node's model once dropped them).
    const web = policies.find((p) => p.metadata?.name === "chat-web");
    expect(web?.spec?.ingress?.[0]?._from).toEqual([{ ipBlock: { cidr: "10.0.0.0/16" } }]);
    expect(selected).toEqual({
      "default-deny": ["chat-server", "chat-web"],
      "allow-dns": ["chat-server", "chat-web"],
      "chat-server": ["chat-server"],
      "chat-web": ["chat-web"],
    });
  });

  it("allow only DNS, web → server, the load balancer → each pod's port, and the server → PostgreSQL", () => {
    const pod = (app: string): Endpoint => {
      const found = pods.find((p) => appOf(p) === app);
      if (!found?.status?.podIP) throw new Error(`no running ${app} pod with an address`);
      return { ip: found.status.podIP, pod: found.metadata?.labels ?? {} };
    };
    const server = pod("chat-server");
    const web = pod("chat-web");
    // Addresses in the stage's VPC (10.0.0.0/16: public /22s at 10.0.0 and 10.0.8, private at
    // 10.0.4 and 10.0.12) and outside it.
    const alb = { ip: "10.0.1.17" };
    const internalAlb = { ip: "10.0.5.9" };
    const database = { ip: "10.0.6.20" };
    const metadata = { ip: "169.254.169.254" };
    const vpcResolver = { ip: "169.254.169.253" };
    const nodeDns = { ip: "10.0.4.10" };
    const internet = { ip: "203.0.113.7" };
    const clusterApi = { ip: "172.20.0.1" };
    const flows: Array<[string, Flow, boolean]> = [
      ["web → server gRPC", { from: web, to: server, port: 50051 }, true],
      ["ALB → web", { from: alb, to: web, port: 8080 }, true],
      ["internal ALB → web", { from: internalAlb, to: web, port: 8080 }, true],
      ["ALB → server gRPC", { from: alb, to: server, port: 50051 }, true],
      ["server → PostgreSQL", { from: server, to: database, port: 5432 }, true],
      ["server → DNS", { from: server, to: vpcResolver, port: 53, protocol: "UDP" }, true],
      [
        "web → the node's DNS over TCP",
        { from: web, to: nodeDns, port: 53, protocol: "TCP" },
        true,
      ],
      ["server → metadata service", { from: server, to: metadata, port: 80 }, false],
      ["web → metadata service", { from: web, to: metadata, port: 80 }, false],
      ["server → internet", { from: server, to: internet, port: 443 }, false],
      ["web → internet", { from: web, to: internet, port: 443 }, false],
      ["server → Kubernetes API", { from: server, to: clusterApi, port: 443 }, false],
      ["web → PostgreSQL", { from: web, to: database, port: 5432 }, false],
      ["server → web", { from: server, to: web, port: 8080 }, false],
      ["internet → web, around the ALB", { from: internet, to: web, port: 8080 }, false],
      ["ALB → server on another port", { from: alb, to: server, port: 9229 }, false],
      ["ALB → web on the gRPC port", { from: alb, to: web, port: 50051 }, false],
    ];

    const judged = flows.map(([what, flow]) => [what, allows(policies, flow)]);

    expect(judged).toEqual(flows.map(([what, , allowed]) => [what, allowed]));
  });
});
