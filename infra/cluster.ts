import { vpc } from "./network";
import { kubernetesVersion, stageSettings } from "./settings";

const settings = stageSettings($app.stage);
/** Production keeps the cluster on `sst remove` and refuses accidental replacement. */
const keep = { retainOnDelete: settings.retain, protect: settings.retain };
/** Fixed, so the control-plane log group can exist (with its retention) before the cluster. */
const clusterName = `${$app.name}-${$app.stage}`;

/**
 * The stage's EKS cluster in EKS Auto Mode: AWS runs the nodes (Karpenter, scaling on pending
 * pods), the VPC CNI, kube-proxy, CoreDNS, pod identity and the load balancer controller,
 * all outside the cluster, so `sst deploy` makes AWS API calls only. What runs inside the
 * cluster is applied by infra/workload.ts from inside the VPC. Why Auto Mode and not a node
 * group with a self-installed controller: the README's "Cluster: EKS Auto Mode".
 */
function assumeRolePolicy(service: string, actions: string[]) {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: actions }],
  });
}

const managed = (name: string) => `arn:aws:iam::aws:policy/${name}`;

export const logGroup = createControlPlaneLogs();
export const cluster = createCluster();
export const metricsServer = createMetricsServer();
export const adminAccess = settings.clusterAdmins.map((arn, index) =>
  grantClusterAdmin(`ClusterAdmin${index + 1}`, arn),
);

function createControlPlaneLogs() {
  // EKS writes here; created first so it has a retention (EKS would create it with none).
  return new aws.cloudwatch.LogGroup("ClusterLogs", {
    name: `/aws/eks/${clusterName}/cluster`,
    retentionInDays: settings.controlPlaneLogDays,
  });
}

function createCluster() {
  const role = new aws.iam.Role("ClusterRole", {
    assumeRolePolicy: assumeRolePolicy("eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]),
    // Auto Mode's compute, storage, load balancing and networking act through the cluster role.
    managedPolicyArns: [
      managed("AmazonEKSClusterPolicy"),
      managed("AmazonEKSComputePolicy"),
      managed("AmazonEKSBlockStoragePolicy"),
      managed("AmazonEKSLoadBalancingPolicy"),
      managed("AmazonEKSNetworkingPolicy"),
    ],
  });
  const nodeRole = new aws.iam.Role("ClusterNodeRole", {
    assumeRolePolicy: assumeRolePolicy("ec2.amazonaws.com", ["sts:AssumeRole"]),
    // EKS creates the nodes' access entry for this role itself.
    managedPolicyArns: [
      managed("AmazonEKSWorkerNodeMinimalPolicy"),
      managed("AmazonEC2ContainerRegistryPullOnly"),
    ],
  });
  const publicEndpoint = settings.publicEndpointCidrs.length > 0;
  return new aws.eks.Cluster(
    "Cluster",
    {
      name: clusterName,
      version: kubernetesVersion,
      roleArn: role.arn,
      // Access entries only: no aws-auth ConfigMap to drift, and every grant is an AWS resource.
      accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
      // Auto Mode: the three settings go together, and EKS installs no self-managed add-ons.
      bootstrapSelfManagedAddons: false,
      computeConfig: {
        enabled: true,
        // general-purpose for the workload, system for what EKS itself runs.
        nodePools: ["general-purpose", "system"],
        nodeRoleArn: nodeRole.arn,
      },
      kubernetesNetworkConfig: { elasticLoadBalancing: { enabled: true } },
      storageConfig: { blockStorage: { enabled: true } },
      vpcConfig: {
        // Nodes, and the deployer's functions, live in the private subnets of both AZs.
        subnetIds: vpc.privateSubnets,
        endpointPrivateAccess: true,
        endpointPublicAccess: publicEndpoint,
        ...(publicEndpoint ? { publicAccessCidrs: settings.publicEndpointCidrs } : {}),
      },
      // Who did what (audit, api) and who got in (authenticator); the scheduler and
      // controller manager logs are AWS's to read in Auto Mode, and cost ingestion.
      enabledClusterLogTypes: ["api", "audit", "authenticator"],
      // Standard support only: extended support costs six times as much per cluster hour.
      upgradePolicy: { supportType: "STANDARD" },
    },
    { ...keep, dependsOn: [logGroup] },
  );
}

function createMetricsServer() {
  // The HPAs scale on CPU, which needs the metrics API; Auto Mode does not include it. The
  // EKS community add-on installs it with an AWS call, not from the operator's machine.
  return new aws.eks.Addon("ClusterMetricsServer", {
    clusterName: cluster.name,
    addonName: "metrics-server",
    resolveConflictsOnUpdate: "OVERWRITE",
  });
}

/**
 * A teammate's or CI's role as cluster admin, declared per stage: without it only the
 * cluster's creator could run the next `sst deploy` or kubectl.
 */
export function grantClusterAdmin(name: string, principalArn: string | $util.Output<string>) {
  const entry = new aws.eks.AccessEntry(name, {
    clusterName: cluster.name,
    principalArn,
    type: "STANDARD",
  });
  return new aws.eks.AccessPolicyAssociation(`${name}Policy`, {
    clusterName: cluster.name,
    principalArn: entry.principalArn,
    policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
    accessScope: { type: "cluster" },
  });
}
