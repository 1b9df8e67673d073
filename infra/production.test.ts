import { StageConfig } from "@slipway/core";
import { ledgerTable } from "@slipway/ledger/table";
import { beforeAll, describe, expect, it } from "vitest";
import { buildFinishedPattern, buildStartedPattern, lifecycleAlertPattern } from "./patterns.ts";
import { deployStage } from "./test/deploy-stage.ts";
import { named, ofType, type RecordedResource } from "./test/pulumi-mocks.ts";
import { linkedResources } from "./test/sst-runtime.ts";

let resources: RecordedResource[];

const connection =
  "arn:aws:codeconnections:us-east-1:123456789012:connection/0a1b2c3d-aaaa-bbbb-cccc-1234567890ab";
const teamRole = "arn:aws:iam::123456789012:role/platform-team";

beforeAll(async () => {
  process.env.SLIPWAY_CODECONNECTION_ARN = connection;
  process.env.SLIPWAY_CLUSTER_ADMINS = teamRole;
  resources = await deployStage("production");
});

type Statement = { Action: string | string[]; Resource: string | string[] };
const statementsOf = (policy: unknown): Statement[] =>
  (JSON.parse(String(policy)) as { Statement: Statement[] }).Statement;

describe("production stage resource graph", () => {
  it("spreads the VPC over two AZs with a managed NAT gateway per AZ and LB subnet tags", () => {
    const publicSubnets = ofType(resources, "aws:ec2/subnet:Subnet").filter((s) =>
      s.name.includes("Public"),
    );
    const privateSubnets = ofType(resources, "aws:ec2/subnet:Subnet").filter((s) =>
      s.name.includes("Private"),
    );
    expect(new Set(privateSubnets.map((s) => s.inputs.availabilityZone))).toEqual(
      new Set(["us-east-1a", "us-east-1b"]),
    );
    expect(ofType(resources, "aws:ec2/natGateway:NatGateway")).toHaveLength(2);
    for (const subnet of publicSubnets)
      expect(subnet.inputs.tags).toMatchObject({ "kubernetes.io/role/elb": "1" });
    for (const subnet of privateSubnets) {
      expect(subnet.inputs.tags).toMatchObject({ "kubernetes.io/role/internal-elb": "1" });
    }
  });

  it("runs EKS in API authentication mode with a private endpoint and control-plane logs", () => {
    const cluster = named(resources, "aws:eks/cluster:Cluster", "Cluster");
    expect(cluster.inputs.accessConfig).toMatchObject({ authenticationMode: "API" });
    expect(cluster.inputs.vpcConfig).toMatchObject({
      endpointPrivateAccess: true,
      endpointPublicAccess: false,
    });
    expect(cluster.inputs.enabledClusterLogTypes).toEqual(
      expect.arrayContaining(["api", "audit", "authenticator"]),
    );
  });

  it("runs EKS Auto Mode: AWS runs nodes, networking and load balancing, nothing installed from the operator's machine", () => {
    const cluster = named(resources, "aws:eks/cluster:Cluster", "Cluster");
    expect(cluster.inputs).toMatchObject({
      name: "slipway-production",
      bootstrapSelfManagedAddons: false,
      computeConfig: { enabled: true, nodePools: ["general-purpose", "system"] },
      kubernetesNetworkConfig: { elasticLoadBalancing: { enabled: true } },
      storageConfig: { blockStorage: { enabled: true } },
    });
    const privateSubnetIds = ofType(resources, "aws:ec2/subnet:Subnet")
      .filter((s) => s.name.includes("Private"))
      .map((s) => `${s.name}-id`);
    expect(privateSubnetIds).toHaveLength(2);
    expect((cluster.inputs.vpcConfig as { subnetIds: string[] }).subnetIds).toEqual(
      privateSubnetIds,
    );
    const role = named(resources, "aws:iam/role:Role", "ClusterRole");
    expect(role.inputs.managedPolicyArns).toEqual(
      expect.arrayContaining(
        [
          "AmazonEKSClusterPolicy",
          "AmazonEKSComputePolicy",
          "AmazonEKSBlockStoragePolicy",
          "AmazonEKSLoadBalancingPolicy",
          "AmazonEKSNetworkingPolicy",
        ].map((name) => `arn:aws:iam::aws:policy/${name}`),
      ),
    );
    expect(JSON.parse(String(role.inputs.assumeRolePolicy)).Statement[0].Action).toEqual([
      "sts:AssumeRole",
      "sts:TagSession",
    ]);
    expect(ofType(resources, "aws:eks/nodeGroup:NodeGroup")).toEqual([]);
    expect(resources.filter((r) => r.type.startsWith("kubernetes:"))).toEqual([]);
  });

  it("gives the HPAs a metrics source through the EKS metrics-server add-on", () => {
    const addons = ofType(resources, "aws:eks/addon:Addon").map((a) => a.inputs.addonName);
    expect(addons).toEqual(["metrics-server"]);
  });

  it("keeps control-plane logs in a log group with a retention, created before the cluster", () => {
    const logs = named(resources, "aws:cloudwatch/logGroup:LogGroup", "ClusterLogs");
    expect(logs.inputs).toMatchObject({
      name: "/aws/eks/slipway-production/cluster",
      retentionInDays: 90,
    });
    const cluster = named(resources, "aws:eks/cluster:Cluster", "Cluster");
    expect([cluster.options.dependsOn].flat()).toHaveLength(1);
  });

  it("makes the declared team role a cluster admin, not only the cluster's creator", () => {
    const entry = ofType(resources, "aws:eks/accessEntry:AccessEntry").find(
      (e) => e.inputs.principalArn === teamRole,
    );
    expect(entry).toBeDefined();
    const policies = ofType(resources, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation");
    expect(policies.find((p) => p.name === "ClusterAdmin1Policy")?.inputs).toMatchObject({
      policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
      accessScope: { type: "cluster" },
    });
  });

  it("builds a private repository through its CodeConnections connection, scoped to that connection", () => {
    const project = named(resources, "aws:codebuild/project:Project", "ChatBuild");
    expect(project.inputs.source).toMatchObject({
      auth: { type: "CODECONNECTIONS", resource: connection },
    });
    const policy = named(resources, "aws:iam/rolePolicy:RolePolicy", "ChatBuildPolicy");
    const statement = statementsOf(policy.inputs.policy).find((s) =>
      [s.Action].flat().includes("codeconnections:GetConnectionToken"),
    );
    expect(statement?.Resource).toEqual([connection]);
    expect([statement?.Action].flat()).toContain("codeconnections:GetConnection");
  });

  it("maps only the deploy and re-check functions' roles to the deployer group", () => {
    const entries = ofType(resources, "aws:eks/accessEntry:AccessEntry").filter((e) =>
      (e.inputs.kubernetesGroups as string[] | undefined)?.includes("slipway:deployers"),
    );
    const roleOf = (prefix: string) =>
      ofType(resources, "aws:iam/role:Role").find((r) => r.name.startsWith(prefix))?.name ??
      "missing";
    expect(entries).toHaveLength(2);
    expect(entries.map((e) => e.inputs)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          principalArn: expect.stringContaining(roleOf("DeployRole")),
          kubernetesGroups: ["slipway:deployers"],
          type: "STANDARD",
        }),
        expect.objectContaining({
          principalArn: expect.stringContaining(roleOf("RecheckRole")),
          kubernetesGroups: ["slipway:deployers"],
          type: "STANDARD",
        }),
      ]),
    );
  });

  it("lets the deploy function describe images in the services' own repositories only, and the re-check not at all", () => {
    const inline = (prefix: string): Statement[] => {
      const role = ofType(resources, "aws:iam/role:Role").find((r) => r.name.startsWith(prefix));
      const policies = (role?.inputs.inlinePolicies ?? []) as Array<{ policy?: string }>;
      return policies.flatMap((p) => statementsOf(p.policy));
    };
    const actions = (s: Statement) => [s.Action].flat();
    // The mocks give every resource the ARN `arn:aws:mock:…:<type>/<name>`.
    const repositories = ["ChatRegistry", "GreeterRegistry"].map(
      (name) =>
        `arn:aws:mock:us-east-1:123456789012:aws:ecr/repository:Repository/${
          named(resources, "aws:ecr/repository:Repository", name).name
        }`,
    );

    const ecr = inline("DeployRole").filter((s) => actions(s).some((a) => a.startsWith("ecr:")));

    expect(ecr).toEqual([
      expect.objectContaining({ Action: ["ecr:DescribeImages"], Resource: repositories }),
    ]);
    expect(inline("RecheckRole").flatMap(actions)).not.toContainEqual(
      expect.stringMatching(/^ecr:/),
    );
  });

  it("tells the deploy function when this project's builds start, on a rule of its own", () => {
    const rule = named(resources, "aws:cloudwatch/eventRule:EventRule", "BuildStarted");
    expect(JSON.parse(String(rule.inputs.eventPattern))).toEqual(
      buildStartedPattern(["ChatBuild", "GreeterBuild"]),
    );
    const target = named(resources, "aws:cloudwatch/eventTarget:EventTarget", "BuildStartedTarget");
    // The function's ARN arrives wrapped as a secret output (it depends on linked secrets).
    expect(JSON.stringify(target.inputs.arn)).toContain("lambda/function:Function/DeployFunction");
  });

  it("re-checks unfinished rollouts every minute from inside the VPC", () => {
    const schedule = named(resources, "aws:cloudwatch/eventRule:EventRule", "RecheckSchedule");
    expect(schedule.inputs.scheduleExpression).toBe("rate(1 minute)");
    const recheck = ofType(resources, "aws:lambda/function:Function").find(
      (f) => f.name === "RecheckFunction",
    );
    expect(recheck?.inputs.vpcConfig).toBeDefined();
  });

  it("subscribes the deploy function to this project's finished builds only", () => {
    const rule = named(resources, "aws:cloudwatch/eventRule:EventRule", "BuildFinished");
    const project = named(resources, "aws:codebuild/project:Project", "ChatBuild");
    expect(JSON.parse(String(rule.inputs.eventPattern))).toEqual(
      buildFinishedPattern([String(project.inputs.name ?? "ChatBuild"), "GreeterBuild"]),
    );
    const target = named(
      resources,
      "aws:cloudwatch/eventTarget:EventTarget",
      "BuildFinishedTarget",
    );
    expect(target.inputs.deadLetterConfig).toBeDefined();
  });

  it("builds in privileged mode with a role that pushes only to its own repository", () => {
    const project = named(resources, "aws:codebuild/project:Project", "ChatBuild");
    expect(project.inputs.environment).toMatchObject({ privilegedMode: true });
    const policy = named(resources, "aws:iam/rolePolicy:RolePolicy", "ChatBuildPolicy");
    const repositoryArn =
      "arn:aws:mock:us-east-1:123456789012:aws:ecr/repository:Repository/ChatRegistry";
    for (const statement of statementsOf(policy.inputs.policy)) {
      const actions = [statement.Action].flat();
      if (actions.includes("ecr:PutImage")) expect(statement.Resource).toEqual([repositoryArn]);
      if (statement.Resource === "*") expect(actions).toEqual(["ecr:GetAuthorizationToken"]);
    }
  });

  it("keeps ECR tags immutable except the build cache, with scan on push", () => {
    const repository = named(resources, "aws:ecr/repository:Repository", "ChatRegistry");
    expect(repository.inputs).toMatchObject({
      imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
      imageScanningConfiguration: { scanOnPush: true },
      forceDelete: false,
    });
  });

  it("retains and protects the cluster, nodes, registry, ledger and database on removal", () => {
    // SST's stack-wide retain transform does not run under mocks: this asserts our own options.
    for (const [type, name] of [
      ["aws:eks/cluster:Cluster", "Cluster"],
      ["aws:ecr/repository:Repository", "ChatRegistry"],
    ] as const) {
      expect(named(resources, type, name).options, name).toMatchObject({
        retainOnDelete: true,
        protect: true,
      });
    }
    const ledgerTable = ofType(resources, "aws:dynamodb/table:Table").find((t) =>
      t.name.startsWith("Ledger"),
    );
    expect(ledgerTable?.options).toMatchObject({ retainOnDelete: true });
    expect(ledgerTable?.inputs.deletionProtectionEnabled).toBe(true);
    const database = ofType(resources, "aws:rds/instance:Instance")[0];
    expect(database?.inputs).toMatchObject({
      deletionProtection: true,
      skipFinalSnapshot: false,
      multiAz: true,
    });
  });

  it("gives the webhook a Function URL without IAM auth, and no reserved concurrency a new account would refuse", () => {
    const url = ofType(resources, "aws:lambda/functionUrl:FunctionUrl").find((u) =>
      u.name.startsWith("Webhook"),
    );
    expect(url?.inputs.authorizationType).toBe("NONE");
    const webhook = ofType(resources, "aws:lambda/function:Function").find(
      (f) => f.name === "WebhookFunction",
    );
    expect(webhook?.inputs.reservedConcurrentExecutions).toBeUndefined();
  });

  it("runs the deploy function in the private subnets and sends failed events to the DLQ", () => {
    const deploy = ofType(resources, "aws:lambda/function:Function").find(
      (f) => f.name === "DeployFunction",
    );
    expect(deploy?.inputs.vpcConfig).toMatchObject({
      subnetIds: expect.arrayContaining([expect.stringContaining("Private")]),
    });
    const invokeConfig = ofType(
      resources,
      "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
    )[0];
    expect(invokeConfig?.inputs.destinationConfig).toMatchObject({
      onFailure: { destination: expect.any(String) },
    });
    expect(
      ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => a.name),
    ).toContain("DeployDeadLettersAlarm");
  });
});

describe("production lifecycle events", () => {
  it("archives the Slipway bus for replay and alerts on failures and rollbacks", () => {
    const bus = ofType(resources, "aws:cloudwatch/eventBus:EventBus").find((b) =>
      b.name.startsWith("Lifecycle"),
    );
    expect(bus).toBeDefined();
    expect(
      named(resources, "aws:cloudwatch/eventArchive:EventArchive", "LifecycleArchive").inputs,
    ).toMatchObject({
      eventSourceArn: expect.stringContaining("Lifecycle"),
    });
    const rule = named(resources, "aws:cloudwatch/eventRule:EventRule", "LifecycleAlerts");
    expect(JSON.parse(String(rule.inputs.eventPattern))).toEqual(lifecycleAlertPattern());
    const target = named(
      resources,
      "aws:cloudwatch/eventTarget:EventTarget",
      "LifecycleAlertsTarget",
    );
    expect(target.inputs.arn).toEqual(expect.stringContaining("Alerts"));
  });

  it("alarms when lifecycle events cannot be published", () => {
    const alarm = named(
      resources,
      "aws:cloudwatch/metricAlarm:MetricAlarm",
      "LifecyclePublishFailuresAlarm",
    );
    expect(alarm.inputs).toMatchObject({
      namespace: "Slipway",
      metricName: "LifecyclePublishFailures",
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      alarmActions: [expect.stringContaining("Alerts")],
    });
  });
});

describe("production deployer wiring", () => {
  it("creates the ledger table with the layout the DynamoDB ledger uses", () => {
    const table = ofType(resources, "aws:dynamodb/table:Table").find((t) =>
      t.name.startsWith("Ledger"),
    );
    const { indexes } = ledgerTable;
    expect(table?.inputs).toMatchObject({
      hashKey: ledgerTable.partitionKey,
      rangeKey: ledgerTable.sortKey,
      ttl: { attributeName: ledgerTable.ttlAttribute, enabled: true },
      localSecondaryIndexes: [
        expect.objectContaining({ name: "inFlight", rangeKey: indexes.inFlight.sortKey }),
      ],
      // Exactly the ledger's indexes: an index nothing queries still costs a write per item.
      globalSecondaryIndexes: [
        expect.objectContaining({
          name: "byCommit",
          hashKey: indexes.byCommit.partitionKey,
          rangeKey: indexes.byCommit.sortKey,
        }),
      ],
    });
  });

  it("gives both functions one lane per service that the core accepts, mapping main to production", () => {
    for (const name of ["WebhookFunction", "DeployFunction"]) {
      const fn = ofType(resources, "aws:lambda/function:Function").find((f) => f.name === name);
      const environment = fn?.inputs.environment as
        | { variables?: Record<string, string> }
        | undefined;
      const variables = environment?.variables ?? {};
      const config = StageConfig.parse(JSON.parse(variables.STAGE_CONFIG ?? ""));
      expect(config.stages).toEqual([
        expect.objectContaining({
          name: "production",
          service: "chat",
          repository: { fullName: "acme/chat", id: 186853002 },
          branches: ["main"],
          production: true,
          codebuildProject: "ChatBuild",
          // Only the service's own registry deploys it.
          imageRepository: "123456789012.dkr.ecr.us-east-1.amazonaws.com/chatregistry",
          deployments: [
            { namespace: "chat", name: "chat-server", container: "server" },
            { namespace: "chat", name: "chat-web", container: "web" },
          ],
        }),
        expect.objectContaining({
          name: "production",
          service: "greeter",
          paths: ["examples/greeter/**", "proto/greeter/**"],
          codebuildProject: "GreeterBuild",
          imageRepository: "123456789012.dkr.ecr.us-east-1.amazonaws.com/greeterregistry",
          deployments: [{ namespace: "greeter", name: "greeter", container: "greeter" }],
        }),
      ]);
      expect(variables.LEDGER_TABLE).toBeTruthy();
    }
  });

  it("links each function only to the secrets it reads: the HMAC secret to the webhook alone", () => {
    const github = ["GithubAppId", "GithubAppInstallationId", "GithubAppPrivateKey", "GithubToken"];
    const secretsOf = (fn: string) =>
      (linkedResources.get(fn) ?? []).filter((name) => name.startsWith("Github"));
    expect(secretsOf("Webhook")).toEqual(
      [...github, "GithubWebhookSecret", "GithubWebhookSecrets"].sort(),
    );
    expect(secretsOf("Deploy")).toEqual(github);
    expect(secretsOf("Recheck")).toEqual(github);
    expect(secretsOf("ApplyManifests")).toEqual([]);
  });

  it("lets only this stage's alert rule and this account's alarms publish to the alerts topic", () => {
    const policy = JSON.parse(
      String(named(resources, "aws:sns/topicPolicy:TopicPolicy", "AlertsFromEvents").inputs.policy),
    ) as { Statement: Array<{ Principal: { Service: string }; Condition?: unknown }> };
    const rule = named(resources, "aws:cloudwatch/eventRule:EventRule", "LifecycleAlerts");
    // The rule's ARN as the mocks answer it (infra/test/pulumi-mocks.ts).
    const ruleArn = `arn:aws:mock:us-east-1:123456789012:${rule.type}/${rule.name}`;
    expect(policy.Statement.map((s) => [s.Principal.Service, s.Condition])).toEqual([
      ["events.amazonaws.com", { ArnEquals: { "aws:SourceArn": ruleArn } }],
      [
        "cloudwatch.amazonaws.com",
        {
          StringEquals: { "aws:SourceAccount": "123456789012" },
          ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:*" },
        },
      ],
    ]);
  });

  it("gives every service its own ECR repository and CodeBuild project, created from infra/services/", () => {
    expect(ofType(resources, "aws:ecr/repository:Repository").map((r) => r.name)).toEqual([
      "ChatRegistry",
      "GreeterRegistry",
    ]);
    const projects = ofType(resources, "aws:codebuild/project:Project");
    expect(projects.map((p) => p.name)).toEqual(["ChatBuild", "GreeterBuild"]);
    const greeter = named(resources, "aws:codebuild/project:Project", "GreeterBuild");
    // A Dockerfile service builds with Slipway's generic buildspec, told where its Dockerfile is.
    expect(String((greeter.inputs.source as { buildspec: string }).buildspec)).toContain(
      'docker buildx build --file "$DOCKERFILE"',
    );
    expect(
      (greeter.inputs.environment as { environmentVariables: unknown[] }).environmentVariables,
    ).toEqual(
      expect.arrayContaining([
        { name: "DOCKERFILE", value: "examples/greeter/Dockerfile" },
        { name: "BUILD_CONTEXT", value: "." },
      ]),
    );
  });

  it("lets each service's build push to its own repository only", () => {
    for (const service of ["Chat", "Greeter"]) {
      const policy = named(resources, "aws:iam/rolePolicy:RolePolicy", `${service}BuildPolicy`);
      const push = statementsOf(policy.inputs.policy).find((s) =>
        [s.Action].flat().includes("ecr:PutImage"),
      );
      expect(push?.Resource).toEqual([
        `arn:aws:mock:us-east-1:123456789012:aws:ecr/repository:Repository/${service}Registry`,
      ]);
    }
  });

  it("lets the webhook start, and the deploy function read, only the services' own projects", () => {
    const arns = ["ChatBuild", "GreeterBuild"].map(
      (name) => `arn:aws:mock:us-east-1:123456789012:aws:codebuild/project:Project/${name}`,
    );
    for (const [fn, action] of [
      ["WebhookRole", "codebuild:StartBuild"],
      ["DeployRole", "codebuild:BatchGetBuilds"],
    ] as const) {
      // SST writes a function's permissions as its role's inline policy.
      const role = ofType(resources, "aws:iam/role:Role").find((r) => r.name.startsWith(fn));
      const inline = (role?.inputs.inlinePolicies ?? []) as Array<{ policy: string }>;
      const statement = inline
        .flatMap((p) => statementsOf(p.policy))
        .find((st) => [st.Action].flat().includes(action));
      expect([statement?.Resource].flat().sort(), fn).toEqual(arns);
    }
  });

  it("gives each service's namespace its own deployer admission policy naming its own registry", () => {
    const input = JSON.parse(
      String(named(resources, "aws:lambda/invocation:Invocation", "ClusterObjects").inputs.input),
    ) as {
      objects: Array<{
        kind: string;
        metadata: { name: string };
        spec: { variables?: Array<{ name: string; expression: string }> };
      }>;
    };
    const policies = input.objects.filter((o) => o.kind === "ValidatingAdmissionPolicy");
    const variable = (policy: (typeof policies)[number], name: string) =>
      policy.spec.variables?.find((v) => v.name === name)?.expression;
    expect(
      policies.map((p) => [p.metadata.name, variable(p, "registry"), variable(p, "deployments")]),
    ).toEqual([
      [
        "slipway-deployer-chat",
        JSON.stringify("123456789012.dkr.ecr.us-east-1.amazonaws.com/chatregistry"),
        JSON.stringify(["chat-server", "chat-web"]),
      ],
      [
        "slipway-deployer-greeter",
        JSON.stringify("123456789012.dkr.ecr.us-east-1.amazonaws.com/greeterregistry"),
        JSON.stringify(["greeter"]),
      ],
    ]);
  });
});
