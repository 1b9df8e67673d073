import { services, stageSettings } from "./settings";

const settings = stageSettings($app.stage);

/** Tags CodeBuild's registry cache writes over on every build; all other tags are immutable. */
export const cacheTagPrefix = "buildcache";

/** `chat` → `Chat`, `my-api` → `MyApi`: a service's prefix in resource names (`ChatRegistry`). */
export const pascal = (name: string) =>
  name.replace(/(?:^|-)([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * One image repository per service (infra/services/): a service's build may push to its own
 * only, and the deployer rolls out only its own images there. Tags are immutable, so a commit
 * SHA always names the same image (the deployer pins digests anyway); the build cache tag is
 * the one exclusion.
 */
export const registries: Record<string, aws.ecr.Repository> = Object.fromEntries(
  services().map((service) => [service.name, createRegistry(pascal(service.name))]),
);

function createRegistry(prefix: string) {
  const repository = new aws.ecr.Repository(
    `${prefix}Registry`,
    {
      imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
      imageTagMutabilityExclusionFilters: [
        { filterType: "WILDCARD", filter: `${cacheTagPrefix}*` },
      ],
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfigurations: [{ encryptionType: "AES256" }],
      // Dev stages can be removed with their images; production keeps them.
      forceDelete: !settings.retain,
    },
    { retainOnDelete: settings.retain, protect: settings.retain },
  );
  new aws.ecr.LifecyclePolicy(`${prefix}RegistryLifecycle`, {
    repository: repository.name,
    policy: JSON.stringify({
      rules: [
        {
          rulePriority: 1,
          description: "Drop untagged layers after a week",
          selection: {
            tagStatus: "untagged",
            countType: "sinceImagePushed",
            countUnit: "days",
            countNumber: 7,
          },
          action: { type: "expire" },
        },
        {
          rulePriority: 2,
          description: "Keep the newest 100 images: enough history to roll back",
          selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 100 },
          action: { type: "expire" },
        },
      ],
    }),
  });
  return repository;
}
