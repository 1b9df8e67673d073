import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { ParsedServiceDeclaration } from "@slipway/core";
import { cacheTagPrefix, pascal, registries } from "./registry";
import { codeConnectionArn, services } from "./settings";

/** A private repository is fetched through this CodeConnections connection (README: "Private repositories"). */
const connection = codeConnectionArn();

/**
 * One CodeBuild project per service, each with its own role that may push to the service's
 * own ECR repository only: a build of one service (its Dockerfile, its tests, whatever its
 * repository runs) can never overwrite another service's images. One shared project with
 * per-service source overrides would be fewer resources, but its one role would need push
 * rights on every repository, and StartBuild's overrides (source, buildspec) are exactly what
 * a compromised webhook could bend; separate projects keep each service's source fixed.
 * A build runs the service's buildspec, or Slipway's generic one for a Dockerfile, pushes to
 * the service's repository and exports `IMAGE_URI` with its digest, which the build-state-
 * change event carries to the deploy function.
 */
/** The generic buildspec for services declared with a Dockerfile (inline: it is Slipway's, not the service's). */
const dockerfileBuildspec = readFileSync(
  resolve(import.meta.dirname, "dockerfile-buildspec.yml"),
  "utf8",
);

const logGroup = new aws.cloudwatch.LogGroup("BuildLogs", { retentionInDays: 30 });

export const projects: Record<string, aws.codebuild.Project> = Object.fromEntries(
  services().map((service) => [service.name, createProject(service)]),
);

function createProject(service: ParsedServiceDeclaration) {
  const prefix = pascal(service.name);
  const registry = registries[service.name];
  if (registry === undefined) throw new Error(`no registry for ${service.name}`);
  const role = new aws.iam.Role(`${prefix}BuildRole`, {
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
  new aws.iam.RolePolicy(`${prefix}BuildPolicy`, {
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
          Resource: [registry.arn],
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
  const build = service.build;
  return new aws.codebuild.Project(`${prefix}Build`, {
    serviceRole: role.arn,
    source: {
      type: "GITHUB",
      location: `https://github.com/${service.repository.fullName}.git`,
      buildspec: "buildspec" in build ? build.buildspec : dockerfileBuildspec,
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
        { name: "IMAGE_REPOSITORY", value: registry.repositoryUrl },
        { name: "CACHE_TAG", value: `${cacheTagPrefix}-main` },
        ...("dockerfile" in build
          ? [
              { name: "DOCKERFILE", value: build.dockerfile },
              { name: "BUILD_CONTEXT", value: build.context },
            ]
          : []),
      ],
    },
    logsConfig: { cloudwatchLogs: { groupName: logGroup.name, status: "ENABLED" } },
    buildTimeout: 30,
    queuedTimeout: 60,
  });
}
