import { alerts } from "./alerts";
import { projects } from "./build";
import { cluster } from "./cluster";
import { bus, publishFailureMetric } from "./events";
import { vpc } from "./network";
import { buildFinishedPattern, buildStartedPattern } from "./patterns";
import { registries } from "./registry";
import { stageLanes } from "./service-lanes";
import { deployerGroup, seconds, services, stageSettings } from "./settings";

const settings = stageSettings($app.stage);
/** Every service's build project: the webhook starts them, the rules follow them. */
const allProjects = Object.values(projects);
const projectArns = allProjects.map((p) => p.arn);
const projectNames = $resolve(allProjects.map((p) => p.name));

/**
 * The deployer: a webhook function behind a Function URL that starts builds, and a deploy
 * function that EventBridge starts when a build finishes. Both share the ledger.
 */
export const secrets = createSecrets();
export const ledger = createLedger();
export const deadLetters = createDeadLetters();
export const webhook = createWebhookFunction();
export const deploy = createDeployFunction();
export const recheck = createRecheckFunction();
export const buildFinishedRule = createBuildFinishedRule();
export const buildStartedRule = createBuildStartedRule();
export const accessEntries = [
  createAccessEntry("DeployAccess", deploy),
  createAccessEntry("RecheckAccess", recheck),
];

function createSecrets() {
  return {
    /** HMAC secret shared with the GitHub webhook. The only authentication of the Function URL. */
    webhookSecret: new sst.Secret("GithubWebhookSecret"),
    /**
     * Secrets of their own, by repository id, as JSON `{ "<id>": "<secret>" }`: such a
     * repository's hook signs with its own secret, which signs for no other repository.
     */
    webhookSecrets: new sst.Secret("GithubWebhookSecrets", "{}"),
    // Either a GitHub App (preferred: short-lived installation tokens) or a token.
    // Empty placeholders let a stage use one and leave the other unset.
    githubToken: new sst.Secret("GithubToken", ""),
    githubAppId: new sst.Secret("GithubAppId", ""),
    githubAppPrivateKey: new sst.Secret("GithubAppPrivateKey", ""),
    githubAppInstallationId: new sst.Secret("GithubAppInstallationId", ""),
  };
}

/** The GitHub App's or the token's secrets: what reports to GitHub reads. */
function githubCredentials() {
  return [
    secrets.githubToken,
    secrets.githubAppId,
    secrets.githubAppPrivateKey,
    secrets.githubAppInstallationId,
  ];
}

function createLedger() {
  return new sst.aws.Dynamo("Ledger", {
    // The layout of packages/ledger/src/ledger-table.ts; a test keeps the two in step.
    fields: {
      pk: "string",
      sk: "string",
      inFlightSk: "string",
      commit: "string",
      createdAt: "string",
    },
    primaryIndex: { hashKey: "pk", rangeKey: "sk" },
    // Local, so supersede reads in-flight builds with strong consistency (a GSI would lag).
    localIndexes: { inFlight: { rangeKey: "inFlightSk" } },
    globalIndexes: {
      byCommit: { hashKey: "commit", rangeKey: "createdAt" },
    },
    // Delivery claims expire after GitHub's 3-day redelivery window, never before.
    ttl: "expiresAt",
    deletionProtection: settings.retain,
    transform: {
      table: (args, opts) => {
        args.pointInTimeRecovery = { enabled: true };
        opts.retainOnDelete = settings.retain;
      },
    },
  });
}

function createDeadLetters() {
  // Events the deploy function could not handle after every retry. Never silent: alarmed.
  const queue = new sst.aws.Queue("DeployDeadLetters", {
    transform: { queue: { messageRetentionSeconds: 14 * 24 * 3600 } },
  });
  new aws.cloudwatch.MetricAlarm("DeployDeadLettersAlarm", {
    alarmDescription: "A build event could not be deployed after all retries: see the DLQ.",
    namespace: "AWS/SQS",
    metricName: "ApproximateNumberOfMessagesVisible",
    dimensions: { QueueName: queue.nodes.queue.name },
    statistic: "Maximum",
    period: 60,
    evaluationPeriods: 1,
    threshold: 0,
    comparisonOperator: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
    alarmActions: [alerts.arn],
  });
  return queue;
}

/** This stage's lanes, one per service, as the webhook and deploy functions see them (core's StageConfig). */
function stageConfig() {
  const made = services().map((service) => {
    const project = projects[service.name];
    const registry = registries[service.name];
    if (project === undefined || registry === undefined) {
      throw new Error(`no project or registry for ${service.name}`);
    }
    return $resolve([project.name, registry.repositoryUrl]).apply(
      ([codebuildProject, imageRepository]) =>
        [service.name, { codebuildProject, imageRepository }] as const,
    );
  });
  return $resolve(made).apply((resources) =>
    JSON.stringify(
      stageLanes({
        stage: $app.stage,
        settings,
        services: services(),
        resources: Object.fromEntries(resources),
      }),
    ),
  );
}

/**
 * How the functions are bundled, as `scripts/bundle.ts` measures them: code splitting, so
 * what only some events load (the AWS SDK's other credential providers; client-node, which
 * reads a kubeconfig file and never runs on EKS) sits in chunks a cold start does not load.
 */
function bundling() {
  return { nodejs: { splitting: true } };
}

function commonEnvironment() {
  return {
    SLIPWAY_STAGE: $app.stage,
    STAGE_CONFIG: stageConfig(),
    LEDGER_TABLE: ledger.name,
    LIFECYCLE_BUS_NAME: bus.name,
    PUBLISH_FAILURE_METRIC: `${publishFailureMetric.namespace}/${publishFailureMetric.name}`,
  };
}

function createWebhookFunction() {
  return new sst.aws.Function("Webhook", {
    handler: "functions/webhook/handler.handler",
    ...bundling(),
    // GitHub cannot sign IAM requests: the HMAC over the body is the authentication.
    url: { authorization: "none" },
    // Bounds what a flood of forged requests costs, where the account's quota allows a
    // reservation (a new account's does not): a stage setting, off by default.
    ...(settings.webhookReservedConcurrency
      ? { concurrency: { reserved: settings.webhookReservedConcurrency } }
      : {}),
    timeout: "10 seconds", // GitHub gives up after 10 s
    memory: "512 MB",
    // The HMAC secret, and GitHub's credentials for the queued status; nothing else.
    link: [ledger, bus, secrets.webhookSecret, secrets.webhookSecrets, ...githubCredentials()],
    // The lanes name each service's repository: a push of any other is refused (403), however signed.
    environment: commonEnvironment(),
    permissions: [
      {
        actions: ["codebuild:StartBuild", "codebuild:StopBuild", "codebuild:BatchGetBuilds"],
        resources: projectArns,
      },
    ],
  });
}

/** What both cluster-facing functions (deploy and re-check) need: the VPC, the cluster, the ledger. */
function clusterFunctionArgs(rolloutSeconds: number) {
  return {
    // In the private subnets, so the cluster endpoint can stay private.
    vpc,
    // Under `sst dev` a stub forwards each event to the developer's machine, which reaches
    // the private endpoint through `sst tunnel` (the bastion). Once `sst dev` stops, the stub
    // stays until the next `sst deploy` and answers every event with a success after 16 s,
    // so build events would be lost: never on a retained (production) stage.
    ...(settings.retain ? { dev: false as const } : {}),
    // GitHub's credentials for deployment statuses; never the webhook's HMAC secret.
    link: [ledger, bus, ...githubCredentials()],
    environment: {
      ...commonEnvironment(),
      EKS_CLUSTER_NAME: cluster.name,
      ROLLOUT_TIMEOUT_SECONDS: String(rolloutSeconds),
    },
  };
}

function createDeployFunction() {
  const rolloutSeconds = seconds(settings.rolloutTimeout);
  return new sst.aws.Function("Deploy", {
    handler: "functions/deploy/handler.handler",
    ...bundling(),
    ...clusterFunctionArgs(rolloutSeconds),
    // Leaves a minute after the rollout bound to roll back and report.
    timeout: `${rolloutSeconds + 60} seconds`,
    memory: "1024 MB",
    retries: 2,
    permissions: [
      { actions: ["eks:DescribeCluster"], resources: [cluster.arn] },
      { actions: ["sqs:SendMessage"], resources: [deadLetters.arn] },
      // A successful build whose event lacks IMAGE_URI is read back (its exported variables).
      { actions: ["codebuild:BatchGetBuilds"], resources: projectArns },
      // Before any patch: is the digest in its service's repository? Those repositories only.
      { actions: ["ecr:DescribeImages"], resources: Object.values(registries).map((r) => r.arn) },
    ],
    transform: {
      // After the async retries, the event lands in the DLQ instead of vanishing.
      eventInvokeConfig: (args) => {
        args.destinationConfig = { onFailure: { destination: deadLetters.arn } };
      },
    },
  });
}

/**
 * Every minute, concludes rollouts that outlived the deploy function (a rollout slower than
 * the function's timeout still gets success or a rollback, and GitHub hears of it).
 */
function createRecheckFunction() {
  const fn = new sst.aws.Function("Recheck", {
    handler: "functions/recheck/handler.handler",
    ...bundling(),
    ...clusterFunctionArgs(seconds(settings.rolloutTimeout)),
    timeout: "60 seconds",
    memory: "512 MB",
    permissions: [{ actions: ["eks:DescribeCluster"], resources: [cluster.arn] }],
  });
  const schedule = new aws.cloudwatch.EventRule("RecheckSchedule", {
    description: "Conclude rollouts that outlived the deploy function",
    scheduleExpression: "rate(1 minute)",
  });
  invokeOnRule("Recheck", schedule, fn);
  return fn;
}

function createBuildFinishedRule() {
  const rule = new aws.cloudwatch.EventRule("BuildFinished", {
    description: "This stage's CodeBuild builds that finished: SUCCEEDED, FAILED or STOPPED",
    eventPattern: projectNames.apply((names) => JSON.stringify(buildFinishedPattern(names))),
  });
  new aws.sqs.QueuePolicy("DeployDeadLettersFromEvents", {
    queueUrl: deadLetters.url,
    policy: $jsonStringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: deadLetters.arn,
          Condition: { ArnEquals: { "aws:SourceArn": rule.arn } },
        },
      ],
    }),
  });
  invokeOnRule("BuildFinished", rule, deploy, {
    // EventBridge retries delivery for an hour; what it cannot deliver goes to the DLQ.
    retryPolicy: { maximumEventAgeInSeconds: 3600, maximumRetryAttempts: 20 },
    deadLetterConfig: { arn: deadLetters.arn },
  });
  return rule;
}

function createBuildStartedRule() {
  // Only a ledger write (queued → building): no retries beyond EventBridge's own, no DLQ,
  // since a lost start event loses nothing but one lifecycle step.
  const rule = new aws.cloudwatch.EventRule("BuildStarted", {
    description: "This stage's CodeBuild builds as they start: the ledger records building",
    eventPattern: projectNames.apply((names) => JSON.stringify(buildStartedPattern(names))),
  });
  invokeOnRule("BuildStarted", rule, deploy);
  return rule;
}

/** Lets one EventBridge rule, and only it, invoke the function: `<name>Invoke` and `<name>Target`. */
function invokeOnRule(
  name: string,
  rule: aws.cloudwatch.EventRule,
  fn: sst.aws.Function,
  delivery: Pick<aws.cloudwatch.EventTargetArgs, "retryPolicy" | "deadLetterConfig"> = {},
) {
  new aws.lambda.Permission(`${name}Invoke`, {
    action: "lambda:InvokeFunction",
    function: fn.name,
    principal: "events.amazonaws.com",
    sourceArn: rule.arn,
  });
  new aws.cloudwatch.EventTarget(`${name}Target`, { rule: rule.name, arn: fn.arn, ...delivery });
}

function createAccessEntry(name: string, fn: sst.aws.Function) {
  // The function's role maps to one Kubernetes group, which each service's manifests bind to
  // a Role in that service's namespace only: get/patch/watch its Deployments by name, list
  // ReplicaSets; each namespace's admission policy holds the patches to images from the
  // service's own registry.
  return new aws.eks.AccessEntry(name, {
    clusterName: cluster.name,
    principalArn: fn.nodes.role.arn,
    kubernetesGroups: [deployerGroup],
    type: "STANDARD",
  });
}

/** The functions (deploy, re-check, apply) reach the private cluster endpoint from their VPC security group. */
export const clusterApiAccess = new aws.vpc.SecurityGroupIngressRule("DeployToClusterApi", {
  description: "Slipway functions to the EKS API",
  securityGroupId: cluster.vpcConfig.clusterSecurityGroupId,
  referencedSecurityGroupId: vpc.securityGroups.apply((groups) => groups[0] ?? ""),
  ipProtocol: "tcp",
  fromPort: 443,
  toPort: 443,
});

/** `sst tunnel` through the bastion (the NAT instance) reaches the endpoint too, for `sst dev`. */
if (!settings.ha) {
  new aws.vpc.SecurityGroupIngressRule("TunnelToClusterApi", {
    description: "sst tunnel (bastion) to the EKS API",
    securityGroupId: cluster.vpcConfig.clusterSecurityGroupId,
    referencedSecurityGroupId: vpc.nodes.natSecurityGroup.apply(
      (group) => group?.id ?? $output(""),
    ),
    ipProtocol: "tcp",
    fromPort: 443,
    toPort: 443,
  });
}
