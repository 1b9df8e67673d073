import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";

/**
 * Providers that carry their own, older @pulumi/pulumi (SST's @pulumi/tls, which makes the
 * bastion's key): their resources register through that copy, so it gets the same mocks.
 * The copies share one settings store and the last `setMocks` wins, so the main copy goes last.
 */
const nestedPulumiCopies = [".sst/platform/node_modules/@pulumi/tls/node_modules/@pulumi/pulumi"]
  .map((path) => resolve(import.meta.dirname, "../..", path))
  .filter((path) => existsSync(path))
  .map((path) => createRequire(import.meta.url)(path) as typeof pulumi);

/** One resource as Pulumi's engine would have received it. */
export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** Resource options as the program set them (retainOnDelete, protect, ignoreChanges…). */
  options: pulumi.CustomResourceOptions;
}

/**
 * Installs Pulumi runtime mocks that record every resource and answer the data-source
 * calls the infra makes. `preview = false` so that `apply` callbacks run.
 */
export function recordResources(stack: string): RecordedResource[] {
  const resources: RecordedResource[] = [];
  const mocks: pulumi.runtime.Mocks = {
    newResource(args) {
      resources.push({
        type: args.type,
        name: args.name,
        inputs: args.inputs,
        options: optionsByName.get(`${args.type}::${args.name}`) ?? {},
      });
      const id = `${args.name}-id`;
      return {
        id,
        state: {
          ...args.inputs,
          arn: `arn:aws:mock:us-east-1:123456789012:${args.type}/${args.name}`,
          name: args.inputs.name ?? args.name,
          url: `https://mock/${args.name}`,
          functionUrl: `https://${args.name}.lambda-url.us-east-1.on.aws/`,
          // ECR repository names are lower-case.
          repositoryUrl: `123456789012.dkr.ecr.us-east-1.amazonaws.com/${args.name.toLowerCase()}`,
          endpoint: `https://${args.name}.eks.mock`,
          certificateAuthority: { data: "Y2VydA==" },
          vpcConfig: { ...(args.inputs.vpcConfig ?? {}), clusterSecurityGroupId: "sg-cluster" },
          // A random password's value; for the apply invocation, the report its function returns.
          result:
            args.type === "aws:lambda/invocation:Invocation"
              ? JSON.stringify({ ok: true, applied: [], created: [], pruned: [] })
              : "mock-random-value",
        },
      };
    },
    call(args) {
      switch (args.token) {
        case "aws:index/getAvailabilityZones:getAvailabilityZones":
          return {
            names: ["us-east-1a", "us-east-1b", "us-east-1c"],
            zoneIds: ["use1-az1", "use1-az2", "use1-az3"],
          };
        case "aws:index/getRegion:getRegion":
          return { name: "us-east-1", region: "us-east-1", id: "us-east-1" };
        case "aws:index/getCallerIdentity:getCallerIdentity":
          return {
            accountId: "123456789012",
            arn: "arn:aws:iam::123456789012:user/test",
            userId: "test",
          };
        case "aws:index/getPartition:getPartition":
          return { partition: "aws", dnsSuffix: "amazonaws.com" };
        case "aws:iam/getPolicyDocument:getPolicyDocument":
          // The provider renders the statements as IAM JSON; SST's functions inline that.
          return { ...args.inputs, json: policyJson(args.inputs.statements ?? []) };
        default:
          return args.inputs;
      }
    },
  };
  for (const copy of [...nestedPulumiCopies, pulumi])
    copy.runtime.setMocks(mocks, "slipway", stack, false);
  return resources;
}

// Mocks see inputs only; a stack transformation sees each resource's options too.
const optionsByName = new Map<string, pulumi.CustomResourceOptions>();

/**
 * Runs a Pulumi program inside a root stack, as the engine would, recording each resource's
 * options on the way.
 */
export async function runProgram(program: () => Promise<unknown>): Promise<void> {
  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation(({ type, name, props, opts }) => {
      optionsByName.set(`${type}::${name}`, opts);
      return { props, opts };
    });
    return program();
  });
}

/** Resources of one Pulumi type, for example `aws:eks/cluster:Cluster`. */
export function ofType(resources: RecordedResource[], type: string): RecordedResource[] {
  return resources.filter((resource) => resource.type === type);
}

/** The single resource of a type and logical name; throws if it is missing. */
export function named(resources: RecordedResource[], type: string, name: string): RecordedResource {
  const found = resources.find((resource) => resource.type === type && resource.name === name);
  if (!found) {
    const names = ofType(resources, type).map((resource) => resource.name);
    throw new Error(`No ${type} named ${name}; found: ${names.join(", ") || "none"}`);
  }
  return found;
}

/** Lets every pending output and resource registration settle. */
export async function settle(): Promise<void> {
  // Present at runtime, missing from the published types.
  const runtime = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
  await runtime.waitForRPCs?.();
  await new Promise((resolve) => setTimeout(resolve, 50));
  await runtime.waitForRPCs?.();
}

type PolicyStatement = { effect?: string; actions?: string[]; resources?: string[] };

/** What aws.iam.getPolicyDocument returns as `json` for these statements (the fields SST sets). */
function policyJson(statements: PolicyStatement[]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: statements.map((s) => ({
      Effect: s.effect ?? "Allow",
      Action: s.actions ?? [],
      Resource: s.resources ?? [],
    })),
  });
}
