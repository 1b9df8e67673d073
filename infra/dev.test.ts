import { beforeAll, describe, expect, it } from "vitest";
import { bootstrapImage } from "./settings.ts";
import { deployStage } from "./test/deploy-stage.ts";
import { named, ofType, type RecordedResource } from "./test/pulumi-mocks.ts";

let resources: RecordedResource[];

beforeAll(async () => {
  resources = await deployStage("dev");
});

type ApplyInput = {
  stage: string;
  objects: Array<{ kind: string; metadata: { name: string; namespace?: string }; data?: unknown }>;
  secrets: Array<{ name: string; secretId: string; keys: Record<string, string> }>;
};
const applyInput = () =>
  JSON.parse(
    String(named(resources, "aws:lambda/invocation:Invocation", "ClusterObjects").inputs.input),
  ) as ApplyInput;

describe("dev stage resource graph", () => {
  it("uses a NAT instance per AZ instead of managed NAT gateways", () => {
    expect(ofType(resources, "aws:ec2/natGateway:NatGateway")).toHaveLength(0);
    expect(
      ofType(resources, "aws:ec2/instance:Instance").filter((i) => i.name.includes("Nat")),
    ).toHaveLength(2);
  });

  it("can be removed: nothing retained or protected, images deleted with the repository", () => {
    for (const [type, name] of [
      ["aws:eks/cluster:Cluster", "Cluster"],
      ["aws:ecr/repository:Repository", "ChatRegistry"],
    ] as const) {
      const resource = named(resources, type, name);
      expect(resource.options.retainOnDelete ?? false, name).toBe(false);
      expect(resource.options.protect ?? false, name).toBe(false);
    }
    expect(
      named(resources, "aws:ecr/repository:Repository", "ChatRegistry").inputs.forceDelete,
    ).toBe(true);
    expect(
      named(resources, "aws:secretsmanager/secret:Secret", "WorkloadSecrets").inputs
        .recoveryWindowInDays,
    ).toBe(0);
  });

  it("makes no call to the Kubernetes API from the operator's machine: no Kubernetes provider resources", () => {
    expect(resources.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.type)).toEqual(
      [],
    );
  });

  it("keeps the EKS endpoint private when no operator CIDRs are configured", () => {
    const cluster = named(resources, "aws:eks/cluster:Cluster", "Cluster");
    expect(cluster.inputs.vpcConfig).toMatchObject({
      endpointPublicAccess: false,
      endpointPrivateAccess: true,
    });
    expect(cluster.inputs.vpcConfig).not.toHaveProperty("publicAccessCidrs");
  });

  it("applies the workload from inside the VPC on create, update and removal, through a function that always runs in AWS", () => {
    const invocation = named(resources, "aws:lambda/invocation:Invocation", "ClusterObjects");
    expect(invocation.inputs.lifecycleScope).toBe("CRUD");
    // Waits for the admin access entry, the security group rule to the endpoint and the secret.
    expect([invocation.options.dependsOn].flat()).toHaveLength(3);
    const fn = named(resources, "aws:lambda/function:Function", "ApplyManifestsFunction");
    expect(fn.inputs.vpcConfig).toMatchObject({
      subnetIds: expect.arrayContaining([expect.stringContaining("Private")]),
    });
    expect(fn.inputs.timeout).toBe(900);
    const variables = (fn.inputs.environment as { variables: Record<string, string> }).variables;
    expect(variables).toMatchObject({
      BOOTSTRAP_IMAGE: bootstrapImage,
      APPLYSET_NAME: "slipway-dev",
    });
  });

  it("sends the rendered objects and where the secrets are, never the secret values", () => {
    const input = applyInput();
    const kinds = input.objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        "Namespace/chat",
        "Deployment/chat-server",
        "Deployment/chat-web",
        "Ingress/chat-web",
      ]),
    );
    expect(kinds).not.toContain("Ingress/chat-grpc");
    expect(input.secrets.map((s) => s.name).sort()).toEqual(["chat-database", "chat-token"]);
    const raw = String(
      named(resources, "aws:lambda/invocation:Invocation", "ClusterObjects").inputs.input,
    );
    expect(raw).not.toContain("mock-random-value");
    expect(raw).not.toContain("postgres://");
  });

  it("holds the deployer to the stage's own registry: the admission policy names its repository URL", () => {
    const policy = applyInput().objects.find((o) => o.kind === "ValidatingAdmissionPolicy") as
      | { spec: { variables: Array<{ name: string; expression: string }> } }
      | undefined;
    expect(policy?.spec.variables).toContainEqual({
      name: "registry",
      // The mocked repository's URL (infra/test/pulumi-mocks.ts).
      expression: JSON.stringify("123456789012.dkr.ecr.us-east-1.amazonaws.com/chatregistry"),
    });
  });

  it("lets the load balancer and the database through the NetworkPolicies by the VPC's own CIDR", () => {
    const vpc = named(resources, "aws:ec2/vpc:Vpc", "VpcVpc");
    const policies = applyInput().objects.filter((o) => o.kind === "NetworkPolicy");
    const blocks = new Set(
      JSON.stringify(policies)
        .match(/"cidr":"[^"]+"/g)
        ?.map((m) => m.slice(8, -1)),
    );
    expect(policies.length).toBeGreaterThan(0);
    expect([...blocks]).toEqual([vpc.inputs.cidrBlock]);
  });

  it("turns on EKS Auto Mode's network policy controller, without which policies are not enforced", () => {
    expect(applyInput().objects).toContainEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "amazon-vpc-cni", namespace: "kube-system" },
      data: { "enable-network-policy-controller": "true" },
    });
  });

  it("reaches the private endpoint through sst tunnel's bastion for sst dev", () => {
    const rule = named(
      resources,
      "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
      "TunnelToClusterApi",
    );
    expect(rule.inputs).toMatchObject({
      fromPort: 443,
      toPort: 443,
      securityGroupId: "sg-cluster",
    });
  });
});
