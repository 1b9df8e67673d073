import { cluster, grantClusterAdmin } from "./cluster";
import { databaseUrl } from "./database";
import { clusterApiAccess } from "./deployer";
import { vpc } from "./network";
import { registries } from "./registry";
import { bootstrapImage, services, stageSettings } from "./settings";
import { applyRequest, manifestFolder, renderManifests, stageObjectsFor } from "./workload-objects";

const settings = stageSettings($app.stage);

/**
 * Every service's objects inside the cluster, applied from inside the VPC by Slipway's own
 * apply function during `sst deploy` (and deleted by it on `sst remove`), so `sst deploy`
 * itself makes AWS calls only and the API endpoint stays private. The function is the code
 * the tests run against a real API server (test/integration/k8s/cluster-objects.test.ts).
 */
export const secrets = createWorkloadSecrets();
export const applier = createApplyFunction();
export const applied = applyClusterObjects();

function createWorkloadSecrets() {
  const token = new random.RandomPassword("ChatTokenSecret", { length: 48, special: false });
  const session = new random.RandomPassword("ChatSessionSecret", { length: 48, special: false });
  // The apply function reads these and writes the Kubernetes Secrets; the values never pass
  // through the invocation payload or its record in the stack's state.
  const secret = new aws.secretsmanager.Secret("WorkloadSecrets", {
    description: `Slipway ${$app.stage}: the chat's database URL and signing secrets`,
    recoveryWindowInDays: settings.retain ? 30 : 0,
  });
  const version = new aws.secretsmanager.SecretVersion("WorkloadSecretsValue", {
    secretId: secret.id,
    secretString: $jsonStringify({
      databaseUrl,
      tokenSecret: token.result,
      sessionSecret: session.result,
    }),
  });
  return { secret, version };
}

function createApplyFunction() {
  const fn = new sst.aws.Function("ApplyManifests", {
    handler: "functions/apply-manifests/handler.handler",
    // In the private subnets: the cluster endpoint is private.
    vpc,
    // Under `sst dev` a live stub would answer the deploy's invocation with a success it
    // never performed; this one always runs in AWS.
    dev: false,
    // Deleting a stage waits for the load balancer behind the Ingresses to go.
    timeout: "900 seconds",
    memory: "512 MB",
    environment: {
      EKS_CLUSTER_NAME: cluster.name,
      APPLYSET_NAME: `slipway-${$app.stage}`,
      BOOTSTRAP_IMAGE: bootstrapImage,
    },
    permissions: [
      { actions: ["eks:DescribeCluster"], resources: [cluster.arn] },
      { actions: ["secretsmanager:GetSecretValue"], resources: [secrets.secret.arn] },
    ],
  });
  // Creating namespaces, RBAC and IngressClasses needs cluster-wide rights; only this stage's
  // deploy invokes the function (it has no URL and no trigger).
  const access = grantClusterAdmin("ApplyManifestsAccess", fn.nodes.role.arn);
  return { fn, access };
}

function applyClusterObjects() {
  const declared = services();
  const rendered = declared.map((service) => ({
    service,
    rendered: renderManifests(manifestFolder(service.manifests, settings.overlay)),
  }));
  const registryUrls = $resolve(
    declared.map((service) => {
      const registry = registries[service.name];
      if (registry === undefined) throw new Error(`no registry for ${service.name}`);
      return registry.repositoryUrl;
    }),
  );
  const invocation = new aws.lambda.Invocation(
    "ClusterObjects",
    {
      functionName: applier.fn.name,
      // CRUD: invoked with tf.action create/update on deploy and delete on `sst remove`.
      // The input changes on every deploy (deployedAt), never `triggers`: a triggers change
      // replaces the invocation, and the replacement's delete would remove what was applied.
      lifecycleScope: "CRUD",
      // Each service's admission policy names its own registry, known once ECR made it.
      input: registryUrls.apply((urls) =>
        $jsonStringify(
          applyRequest({
            stage: $app.stage,
            secrets: declared.flatMap((service) =>
              service.secrets.map((secret) => ({ ...secret, namespace: service.namespace })),
            ),
            objects: stageObjectsFor(
              rendered.map(({ service, rendered: objects }, i) => ({
                rendered: objects,
                registry: urls[i] ?? "",
                httpsFlags: service.httpsFlags,
                declared: {
                  name: service.name,
                  namespace: service.namespace,
                  deployments: service.deployments.map((d) => d.name),
                },
              })),
              settings.certificateArn ? { certificateArn: settings.certificateArn } : {},
            ),
            secretId: secrets.secret.arn,
            secretVersion: secrets.version.versionId,
            // Every deploy applies again (server-side apply is idempotent): it repairs drift,
            // and a failed apply is not mistaken for a done one (terraform-provider-aws#43447
            // records a failed update's input as applied).
            deployedAt: new Date().toISOString(),
          }),
        ),
      ),
    },
    // The function must reach the endpoint (the security group rule) as an admin (the access entry).
    { dependsOn: [applier.access, clusterApiAccess, secrets.version] },
  );
  // Only an explicit report counts: a stub or a wrong function answering 200 fails the deploy.
  return invocation.result.apply((result) => {
    const report = JSON.parse(result) as { ok?: unknown; applied?: unknown };
    if (report.ok !== true) throw new Error(`the cluster objects were not applied: ${result}`);
    return report;
  });
}
