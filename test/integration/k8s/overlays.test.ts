import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { V1Deployment } from "@kubernetes/client-node";
import { describe, expect, inject, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { kubectl } from "../../harness/kubectl.ts";

type KubeObject = {
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  subjects?: Array<{ kind: string; name: string }>;
};

const overlaysDir = join(import.meta.dirname, "../../../k8s/overlays");
const greeterDir = join(import.meta.dirname, "../../../k8s/services/greeter");
const overlays = readdirSync(overlaysDir);

async function render(overlay: string, dir = join(overlaysDir, overlay)): Promise<KubeObject[]> {
  const yaml = await kubectl(["kustomize", dir]);
  return parseAllDocuments(yaml).map((document) => document.toJSON() as KubeObject);
}

/** Moves every object to another namespace, so this suite cannot collide with the deploy suites. */
function inNamespace(objects: KubeObject[], namespace: string): string {
  return objects
    .map((object) => {
      const copy = structuredClone(object);
      if (copy.kind === "Namespace") copy.metadata.name = namespace;
      else if (copy.metadata.namespace) copy.metadata.namespace = namespace;
      return stringify(copy);
    })
    .join("---\n");
}

describe("k8s overlays", () => {
  it("has a dev and a production overlay", () => {
    expect(overlays.sort()).toEqual(["dev", "production"]);
  });

  describe.each(overlays)("%s overlay", (overlay) => {
    it("renders with kustomize into the objects the workload needs", async () => {
      const kinds = (await render(overlay)).map((o) => `${o.kind}/${o.metadata.name}`);
      expect(kinds).toEqual(
        expect.arrayContaining([
          "Namespace/chat",
          "Role/slipway-deployer",
          "RoleBinding/slipway-deployer",
          "Deployment/chat-server",
          "Deployment/chat-web",
          "Service/chat-server",
          "Service/chat-web",
          "PodDisruptionBudget/chat-server",
          "HorizontalPodAutoscaler/chat-server",
          "Ingress/chat-web",
        ]),
      );
    });

    it("rolls Deployments out without losing capacity, drains gracefully and runs locked down", async () => {
      const deployments = (await render(overlay)).filter(
        (o) => o.kind === "Deployment",
      ) as unknown as V1Deployment[];
      for (const { metadata, spec } of deployments) {
        const pod = spec?.template.spec;
        const container = pod?.containers[0];
        const preStopSeconds = container?.lifecycle?.preStop?.sleep?.seconds ?? 0;
        expect(spec?.strategy?.rollingUpdate?.maxUnavailable, metadata?.name).toBe(0);
        expect(container?.readinessProbe).toBeDefined();
        expect(container?.livenessProbe).toBeDefined();
        expect(preStopSeconds).toBeGreaterThan(0);
        expect(pod?.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds);
        expect(container?.resources?.requests).toBeDefined();
        expect(pod?.topologySpreadConstraints?.[0]?.topologyKey).toBe(
          "topology.kubernetes.io/zone",
        );
        expect(pod?.securityContext?.runAsNonRoot).toBe(true);
        expect(container?.securityContext).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
        });
      }
      const server = deployments.find((d) => d.metadata?.name === "chat-server");
      expect(server?.spec?.template.spec?.containers[0]?.readinessProbe?.grpc?.port).toBe(50051);
    });

    it("passes a server-side dry run on the real control plane", async () => {
      const namespace = `dry-run-${overlay}`;
      const { kubeconfigAdmin } = inject("kube");
      // A dry run does not create the namespace, so the namespaced objects need a real one.
      await kubectl(["create", "namespace", namespace], { kubeconfig: kubeconfigAdmin });
      try {
        const out = await kubectl(["apply", "--server-side", "--dry-run=server", "-f", "-"], {
          kubeconfig: kubeconfigAdmin,
          input: inNamespace(await render(overlay), namespace),
        });
        expect(out).toMatch(/deployment.apps\/chat-server serverside-applied \(server dry run\)/);
        expect(out).toMatch(
          /ingress.networking.k8s.io\/chat-web serverside-applied \(server dry run\)/,
        );
      } finally {
        await kubectl(["delete", "namespace", namespace, "--wait=false"], {
          kubeconfig: kubeconfigAdmin,
        });
      }
    });
  });

  it("declares gRPC on the ALB behind HTTPS only, with the gRPC health check (infra keeps it only with a certificate)", async () => {
    for (const overlay of overlays) {
      const grpcIngress = (await render(overlay)).find(
        (o) =>
          o.kind === "Ingress" &&
          o.metadata.annotations?.["alb.ingress.kubernetes.io/backend-protocol-version"] === "GRPC",
      );
      expect(grpcIngress?.metadata.namespace, overlay).toBe("chat");
      expect(grpcIngress?.metadata.annotations).toMatchObject({
        "alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS": 443}]',
        "alb.ingress.kubernetes.io/healthcheck-path": "/grpc.health.v1.Health/Check",
        "alb.ingress.kubernetes.io/success-codes": "0",
      });
    }
  });

  it("binds the deployer Role to the group the EKS access entry maps to", async () => {
    const binding = (await render("production")).find((o) => o.kind === "RoleBinding");
    expect(binding?.subjects).toEqual([
      expect.objectContaining({ kind: "Group", name: "slipway:deployers" }),
    ]);
  });

  it("rolls the dev overlay out on the real control plane under the restricted pod security standard", async () => {
    const namespace = "overlay-dev";
    const { kubeconfigAdmin } = inject("kube");
    await kubectl(["apply", "--server-side", "-f", "-"], {
      kubeconfig: kubeconfigAdmin,
      input: inNamespace(await render("dev"), namespace),
    });
    try {
      for (const name of ["chat-server", "chat-web"]) {
        const out = await kubectl(
          ["-n", namespace, "rollout", "status", `deployment/${name}`, "--timeout=90s"],
          {
            kubeconfig: kubeconfigAdmin,
          },
        );
        expect(out).toMatch(/successfully rolled out/);
      }
    } finally {
      await kubectl(["delete", "namespace", namespace, "--wait=false"], {
        kubeconfig: kubeconfigAdmin,
      });
    }
  });

  // The second service's own folder: its namespace, deployer Role, NetworkPolicies and
  // Deployment must be accepted and roll out on a real API server like the chat's.
  it("rolls the greeter's manifests out on the real control plane under the restricted pod security standard", async () => {
    const namespace = "overlay-greeter";
    const { kubeconfigAdmin } = inject("kube");
    const objects = await render("greeter", greeterDir);
    expect(objects.map((o) => o.kind).sort()).toEqual(
      [
        "Deployment",
        "Namespace",
        "NetworkPolicy",
        "NetworkPolicy",
        "Role",
        "RoleBinding",
        "Service",
      ].sort(),
    );
    const out = await kubectl(["apply", "--server-side", "-f", "-"], {
      kubeconfig: kubeconfigAdmin,
      input: inNamespace(objects, namespace),
    });
    try {
      expect(out).toMatch(/deployment.apps\/greeter serverside-applied/);
      const labels = await kubectl(
        ["get", "namespace", namespace, "-o", "jsonpath={.metadata.labels}"],
        { kubeconfig: kubeconfigAdmin },
      );
      expect(JSON.parse(labels)).toMatchObject({
        "pod-security.kubernetes.io/enforce": "restricted",
      });
      const status = await kubectl(
        ["-n", namespace, "rollout", "status", "deployment/greeter", "--timeout=90s"],
        { kubeconfig: kubeconfigAdmin },
      );
      expect(status).toMatch(/successfully rolled out/);
    } finally {
      await kubectl(["delete", "namespace", namespace, "--wait=false"], {
        kubeconfig: kubeconfigAdmin,
      });
    }
  });
});
