import { vpc } from "./network";
import { loadBalancerControllerPolicy } from "./policies/load-balancer-controller";
import { kubernetesVersion, stageSettings } from "./settings";

const settings = stageSettings($app.stage);
/** Production keeps the cluster on `sst remove` and refuses accidental replacement. */
const keep = { retainOnDelete: settings.retain, protect: settings.retain };

export const cluster = createCluster();
export const nodeGroup = createNodeGroup();
export const addons = createAddons();
/** Kubernetes provider for objects infra owns (namespace, RBAC, secrets, the LB controller). */
export const provider = createKubernetesProvider();
export const loadBalancerController = createLoadBalancerController();

function assumeRolePolicy(service: string, actions: string[] = ["sts:AssumeRole"]) {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: actions }],
  });
}

function createCluster() {
  const role = new aws.iam.Role("ClusterRole", {
    assumeRolePolicy: assumeRolePolicy("eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]),
    managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"],
  });
  const publicEndpoint = settings.publicEndpointCidrs.length > 0;
  return new aws.eks.Cluster(
    "Cluster",
    {
      version: kubernetesVersion,
      roleArn: role.arn,
      // Access entries only: no aws-auth ConfigMap to drift, and every grant is an AWS resource.
      accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
      vpcConfig: {
        subnetIds: vpc.privateSubnets,
        endpointPrivateAccess: true,
        endpointPublicAccess: publicEndpoint,
        ...(publicEndpoint ? { publicAccessCidrs: settings.publicEndpointCidrs } : {}),
      },
      enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
      // Standard support only: extended support costs six times as much per cluster hour.
      upgradePolicy: { supportType: "STANDARD" },
    },
    keep,
  );
}

function createNodeGroup() {
  const role = new aws.iam.Role("ClusterNodeRole", {
    assumeRolePolicy: assumeRolePolicy("ec2.amazonaws.com"),
    managedPolicyArns: [
      "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
      "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
      "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
    ],
  });
  return new aws.eks.NodeGroup(
    "ClusterNodes",
    {
      clusterName: cluster.name,
      nodeRoleArn: role.arn,
      // Private subnets of both AZs: nodes get no public address.
      subnetIds: vpc.privateSubnets,
      amiType: "AL2023_x86_64_STANDARD",
      instanceTypes: settings.nodes.instanceTypes,
      scalingConfig: {
        minSize: settings.nodes.min,
        desiredSize: settings.nodes.desired,
        maxSize: settings.nodes.max,
      },
      updateConfig: { maxUnavailable: 1 },
    },
    { ...keep, ignoreChanges: ["scalingConfig.desiredSize"] },
  );
}

function createAddons() {
  const names = ["vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent"] as const;
  return names.map(
    (addonName) =>
      new aws.eks.Addon(
        `ClusterAddon${addonName.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}`,
        { clusterName: cluster.name, addonName, resolveConflictsOnUpdate: "OVERWRITE" },
        // CoreDNS pods need nodes to become healthy.
        { dependsOn: [nodeGroup] },
      ),
  );
}

function createKubernetesProvider() {
  const kubeconfig = $jsonStringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "eks",
        cluster: {
          server: cluster.endpoint,
          "certificate-authority-data": cluster.certificateAuthority.data,
        },
      },
    ],
    contexts: [{ name: "eks", context: { cluster: "eks", user: "deployer-of-infra" } }],
    "current-context": "eks",
    users: [
      {
        name: "deployer-of-infra",
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args: [
              "eks",
              "get-token",
              "--cluster-name",
              cluster.name,
              "--region",
              aws.getRegionOutput().region,
            ],
          },
        },
      },
    ],
  });
  return new kubernetes.Provider("ClusterProvider", { kubeconfig }, { dependsOn: addons });
}

function createLoadBalancerController() {
  const namespace = "kube-system";
  const serviceAccount = "aws-load-balancer-controller";
  const role = new aws.iam.Role("LoadBalancerControllerRole", {
    // EKS Pod Identity: no OIDC provider, and the role trusts only the agent.
    assumeRolePolicy: assumeRolePolicy("pods.eks.amazonaws.com", [
      "sts:AssumeRole",
      "sts:TagSession",
    ]),
  });
  new aws.iam.RolePolicy("LoadBalancerControllerPolicy", {
    role: role.name,
    policy: JSON.stringify(loadBalancerControllerPolicy),
  });
  const association = new aws.eks.PodIdentityAssociation("LoadBalancerControllerIdentity", {
    clusterName: cluster.name,
    namespace,
    serviceAccount,
    roleArn: role.arn,
  });
  return new kubernetes.helm.v3.Release(
    "LoadBalancerController",
    {
      chart: "aws-load-balancer-controller",
      version: "1.14.0",
      namespace,
      repositoryOpts: { repo: "https://aws.github.io/eks-charts" },
      values: {
        clusterName: cluster.name,
        region: aws.getRegionOutput().region,
        vpcId: vpc.id,
        replicaCount: settings.ha ? 2 : 1,
        serviceAccount: { create: true, name: serviceAccount },
      },
    },
    { provider, dependsOn: [association] },
  );
}
