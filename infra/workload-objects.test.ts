import { describe, expect, it } from "vitest";
import { serviceFiles } from "./services/index.ts";
import { bootstrapImage, deployerGroup } from "./settings.ts";
import {
  clusterObjectsFor,
  ingressClassName,
  isGrpcIngress,
  type KubeObject,
  renderManifests,
  renderOverlay,
  stageObjectsFor,
} from "./workload-objects.ts";

/** The chat's namespace, as its overlays render it. */
const workloadNamespace = "chat";
/** The chat's HTTPS flags, as infra/services/chat.ts declares them. */
const httpsFlags = serviceFiles.find((s) => s.name === "chat")?.httpsFlags ?? [];

const certificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/abc";
const registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-chat";
const overlays = ["dev", "production"] as const;

const find = (objects: KubeObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);
const cookieSecure = (objects: KubeObject[]) => {
  const web = find(objects, "Deployment", "chat-web") as unknown as {
    spec: {
      template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } };
    };
  };
  return web.spec.template.spec.containers[0]?.env.find((e) => e.name === "COOKIE_SECURE")?.value;
};
/** Kinds a namespace holds; what infra applies must name one for each of them. */
const clusterScoped = new Set([
  "Namespace",
  "IngressClass",
  "IngressClassParams",
  "ClusterRole",
  "ClusterRoleBinding",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
]);

describe.each(overlays)("the %s overlay as infra applies it", (overlay) => {
  const rendered = renderOverlay(overlay);

  it("gives every namespaced object its namespace, gRPC ingress included", () => {
    for (const https of [false, true]) {
      const objects = clusterObjectsFor(
        rendered,
        https ? { registry, certificateArn, httpsFlags } : { registry, httpsFlags },
      );
      const missing = objects
        .filter((o) => !clusterScoped.has(o.kind) && !o.metadata.namespace)
        .map((o) => `${o.kind}/${o.metadata.name}`);
      expect(missing).toEqual([]);
    }
  });

  it("starts every Deployment on the bootstrap image, which the API server requires", () => {
    for (const deployment of rendered.filter((o) => o.kind === "Deployment")) {
      const template = deployment.spec?.template as {
        spec: { containers: Array<{ image?: string }> };
      };
      const containers = template.spec.containers;
      expect(containers.map((c) => c.image)).toEqual(containers.map(() => bootstrapImage));
    }
  });

  it("without a certificate: an internal ALB on HTTP, no gRPC route, a cookie that works over HTTP", () => {
    const objects = clusterObjectsFor(rendered, { registry, httpsFlags });
    expect(objects.filter(isGrpcIngress)).toEqual([]);
    expect(find(objects, "IngressClassParams", ingressClassName)?.spec).toMatchObject({
      scheme: "internal",
    });
    expect(find(objects, "Ingress", "chat-web")?.metadata.annotations).not.toHaveProperty(
      "alb.ingress.kubernetes.io/ssl-redirect",
    );
    expect(cookieSecure(objects)).toBe("false");
  });

  it("with a certificate: an internet-facing ALB on HTTPS only, gRPC routed, a Secure cookie", () => {
    const objects = clusterObjectsFor(rendered, { registry, certificateArn, httpsFlags });
    expect(objects.filter(isGrpcIngress).map((o) => o.metadata.name)).toEqual(["chat-grpc"]);
    expect(find(objects, "IngressClassParams", ingressClassName)?.spec).toMatchObject({
      scheme: "internet-facing",
      certificateARNs: [certificateArn],
    });
    expect(find(objects, "Ingress", "chat-web")?.metadata.annotations).toMatchObject({
      "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
      "alb.ingress.kubernetes.io/ssl-redirect": "443",
    });
    expect(cookieSecure(objects)).toBe("true");
  });

  it("keeps idle streams open far longer than the ALB's 60 s default, and joins one ALB group", () => {
    const params = find(
      clusterObjectsFor(rendered, { registry, httpsFlags }),
      "IngressClassParams",
      ingressClassName,
    );
    expect(params?.spec).toMatchObject({
      group: { name: "slipway-chat" },
      loadBalancerAttributes: [{ key: "idle_timeout.timeout_seconds", value: "3600" }],
    });
  });

  it("sends every Ingress to the stage's IngressClass, which Auto Mode's controller serves", () => {
    const objects = clusterObjectsFor(rendered, { registry, certificateArn, httpsFlags });
    for (const ingress of objects.filter((o) => o.kind === "Ingress")) {
      expect(ingress.spec?.ingressClassName).toBe(ingressClassName);
    }
    expect(find(objects, "IngressClass", ingressClassName)?.spec).toMatchObject({
      controller: "eks.amazonaws.com/alb",
    });
  });

  it("limits the deployer to the stage's Deployments by name, and to images from the stage's registry", () => {
    const objects = clusterObjectsFor(rendered, { registry, httpsFlags });
    const deployments = objects.filter((o) => o.kind === "Deployment").map((o) => o.metadata.name);
    const role = find(objects, "Role", "slipway-deployer") as unknown as {
      rules: Array<{ resources: string[]; resourceNames?: string[]; verbs: string[] }>;
    };
    expect(role.rules.find((r) => r.resources.includes("deployments"))).toEqual({
      apiGroups: ["apps"],
      resources: ["deployments"],
      resourceNames: deployments,
      verbs: ["get", "patch", "watch"],
    });
    const name = `slipway-deployer-${workloadNamespace}`;
    const policy = find(objects, "ValidatingAdmissionPolicy", name);
    expect(policy?.spec).toMatchObject({
      failurePolicy: "Fail",
      matchConditions: [{ expression: expect.stringContaining(JSON.stringify(deployerGroup)) }],
      variables: expect.arrayContaining([
        { name: "registry", expression: JSON.stringify(registry) },
        { name: "bootstrapImage", expression: JSON.stringify(bootstrapImage) },
        { name: "deployments", expression: JSON.stringify(deployments) },
      ]),
    });
    expect(find(objects, "ValidatingAdmissionPolicyBinding", name)?.spec).toEqual({
      policyName: name,
      validationActions: ["Deny"],
      matchResources: {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": workloadNamespace } },
      },
    });
  });
});

describe("two services on one stage", () => {
  const greeterRegistry = "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-greeter";
  const chat = renderOverlay("dev");
  const greeter = renderManifests("k8s/services/greeter");
  const objects = () =>
    stageObjectsFor(
      [
        { rendered: chat, registry },
        {
          rendered: greeter,
          registry: greeterRegistry,
          declared: { name: "greeter", namespace: "greeter", deployments: ["greeter"] },
        },
      ],
      {},
    );

  it("holds each namespace's deployer to its own Deployments and its own registry", () => {
    const policies = objects().filter((o) => o.kind === "ValidatingAdmissionPolicy");
    const variables = (o: KubeObject) =>
      Object.fromEntries(
        ((o.spec?.variables ?? []) as Array<{ name: string; expression: string }>).map((v) => [
          v.name,
          v.expression,
        ]),
      );
    expect(
      policies.map((p) => [p.metadata.name, variables(p).registry, variables(p).deployments]),
    ).toEqual([
      [
        "slipway-deployer-chat",
        JSON.stringify(registry),
        JSON.stringify(["chat-server", "chat-web"]),
      ],
      ["slipway-deployer-greeter", JSON.stringify(greeterRegistry), JSON.stringify(["greeter"])],
    ]);
    const roles = objects().filter(
      (o) => o.kind === "Role" && o.metadata.name === "slipway-deployer",
    );
    expect(
      roles.map((r) => [
        r.metadata.namespace,
        (r.rules as Array<{ resourceNames?: string[] }>)[0]?.resourceNames,
      ]),
    ).toEqual([
      ["chat", ["chat-server", "chat-web"]],
      ["greeter", ["greeter"]],
    ]);
  });

  it("applies the IngressClass once, not once per service", () => {
    expect(objects().filter((o) => o.kind === "IngressClass")).toHaveLength(1);
  });

  it("refuses manifests that do not render what the service declared", () => {
    expect(() =>
      stageObjectsFor(
        [
          {
            rendered: greeter,
            registry: greeterRegistry,
            declared: {
              name: "greeter",
              namespace: "greeter",
              deployments: ["greeter", "greeter-web"],
            },
          },
        ],
        {},
      ),
    ).toThrow(/greeter: its manifests render no Deployment greeter-web/);
    expect(() =>
      stageObjectsFor(
        [
          {
            rendered: greeter,
            registry,
            declared: { name: "greeter", namespace: "hello", deployments: [] },
          },
        ],
        {},
      ),
    ).toThrow(/must render the namespace hello/);
  });
});
