import { beforeAll, describe, expect, it } from "vitest";
import { deployStage } from "./test/deploy-stage.ts";
import { named, ofType, type RecordedResource } from "./test/pulumi-mocks.ts";

let resources: RecordedResource[];

beforeAll(async () => {
  resources = await deployStage("dev");
});

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
      ["aws:ecr/repository:Repository", "Registry"],
    ] as const) {
      const resource = named(resources, type, name);
      expect(resource.options.retainOnDelete ?? false, name).toBe(false);
      expect(resource.options.protect ?? false, name).toBe(false);
    }
    expect(named(resources, "aws:ecr/repository:Repository", "Registry").inputs.forceDelete).toBe(
      true,
    );
  });

  it("applies the workload without images or replica counts, and without the gRPC ingress", () => {
    const workload = named(resources, "kubernetes:yaml/v2:ConfigGroup", "Workload");
    const objects = workload.inputs.objs as Array<{
      kind: string;
      metadata: { name: string };
      spec?: never;
    }>;
    const deployments = objects.filter((o) => o.kind === "Deployment");
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(["chat-server", "chat-web"]);
    for (const deployment of deployments) {
      const spec = deployment.spec as unknown as {
        replicas?: number;
        template: { spec: { containers: Array<{ image?: string }> } };
      };
      expect(spec.replicas).toBeUndefined();
      expect(spec.template.spec.containers.every((c) => c.image === undefined)).toBe(true);
    }
    expect(objects.filter((o) => o.kind === "Ingress").map((o) => o.metadata.name)).toEqual([
      "chat-web",
    ]);
  });

  it("keeps the EKS endpoint private when no operator CIDRs are configured", () => {
    const cluster = named(resources, "aws:eks/cluster:Cluster", "Cluster");
    expect(cluster.inputs.vpcConfig).toMatchObject({ endpointPublicAccess: false });
    expect(cluster.inputs.vpcConfig).not.toHaveProperty("publicAccessCidrs");
  });
});
