import { cacheTagPrefix, repository } from "./registry";
import { codeConnectionArn, githubRepository } from "./settings";

/** A private repository is fetched through this CodeConnections connection (README: "Private repositories"). */
const connection = codeConnectionArn();

/**
 * The CodeBuild project that turns a commit into an image: `grpc-app/buildspec.yml` runs the
 * tests, builds with buildx, pushes to this stage's repository and exports `IMAGE_URI` with
 * its digest, which the build-state-change event carries to the deploy function.
 */
const logGroup = new aws.cloudwatch.LogGroup("BuildLogs", { retentionInDays: 30 });

const role = new aws.iam.Role("BuildRole", {
  assumeRolePolicy: JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "codebuild.amazonaws.com" },
        Action: "sts:AssumeRole",
      },
    ],
  }),
});

new aws.iam.RolePolicy("BuildPolicy", {
  role: role.name,
  policy: $jsonStringify({
    Version: "2012-10-17",
    Statement: [
      // GetAuthorizationToken has no resource-level permissions; it grants nothing by itself.
      { Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
      {
        Effect: "Allow",
        Action: [
          "ecr:BatchCheckLayerAvailability",
          "ecr:BatchGetImage",
          "ecr:GetDownloadUrlForLayer",
          "ecr:InitiateLayerUpload",
          "ecr:UploadLayerPart",
          "ecr:CompleteLayerUpload",
          "ecr:PutImage",
        ],
        Resource: [repository.arn],
      },
      {
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: [$interpolate`${logGroup.arn}:*`],
      },
      // CodeBuild fetches the source with the connection's token, as the build role.
      ...(connection
        ? [
            {
              Effect: "Allow",
              Action: [
                "codeconnections:GetConnectionToken",
                "codeconnections:GetConnection",
                "codestar-connections:GetConnectionToken",
                "codestar-connections:GetConnection",
              ],
              Resource: [connection],
            },
          ]
        : []),
    ],
  }),
});

export const project = new aws.codebuild.Project("Build", {
  serviceRole: role.arn,
  source: {
    type: "GITHUB",
    location: `https://github.com/${githubRepository()}.git`,
    buildspec: "grpc-app/buildspec.yml",
    gitCloneDepth: 1,
    reportBuildStatus: false, // the deployer reports richer statuses itself
    ...(connection ? { auth: { type: "CODECONNECTIONS", resource: connection } } : {}),
  },
  artifacts: { type: "NO_ARTIFACTS" },
  environment: {
    type: "LINUX_CONTAINER",
    computeType: "BUILD_GENERAL1_MEDIUM",
    image: "aws/codebuild/standard:7.0",
    // Docker-in-Docker for buildx needs privileged mode.
    privilegedMode: true,
    environmentVariables: [
      { name: "IMAGE_REPOSITORY", value: repository.repositoryUrl },
      { name: "CACHE_TAG", value: `${cacheTagPrefix}-main` },
    ],
  },
  logsConfig: { cloudwatchLogs: { groupName: logGroup.name, status: "ENABLED" } },
  buildTimeout: 30,
  queuedTimeout: 60,
});
