import type { ParsedServiceDeclaration, StageConfig } from "@slipway/core";
import type { StageSettings } from "./settings.ts";

/** What infra made for one service on the stage: its CodeBuild project and ECR repository. */
export type ServiceResources = { codebuildProject: string; imageRepository: string };

/**
 * The stage's lanes (core's StageConfig: one per service) as the webhook and deploy
 * functions read them from STAGE_CONFIG: each service's repository, branches for this stage,
 * paths, project, registry and Deployments. Plain data, so a test checks it without Pulumi.
 */
export function stageLanes(args: {
  stage: string;
  settings: Pick<StageSettings, "branches" | "domain" | "retain">;
  services: readonly ParsedServiceDeclaration[];
  resources: Readonly<Record<string, ServiceResources>>;
}): StageConfig {
  return {
    stages: args.services.map((service) => {
      const made = args.resources[service.name];
      if (made === undefined)
        throw new Error(`no CodeBuild project or registry for ${service.name}`);
      return {
        name: args.stage,
        service: service.name,
        repository: service.repository,
        branches: service.stages[args.stage] ?? args.settings.branches ?? [args.stage],
        ...(service.paths ? { paths: service.paths } : {}),
        codebuildProject: made.codebuildProject,
        // The deploy function rolls out only this service's own repository's images, by digest.
        imageRepository: made.imageRepository,
        deployments: service.deployments.flatMap((deployment) =>
          deployment.containers.map((container) => ({
            namespace: service.namespace,
            name: deployment.name,
            container,
          })),
        ),
        ...(service.servesDomain && args.settings.domain
          ? { environmentUrl: `https://${args.settings.domain}` }
          : {}),
        production: args.settings.retain,
        stopOlderBuilds: true,
      };
    }),
  };
}
