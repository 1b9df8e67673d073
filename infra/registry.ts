import { stageSettings } from "./settings";

const settings = stageSettings($app.stage);

/** Tags CodeBuild's registry cache writes over on every build; all other tags are immutable. */
export const cacheTagPrefix = "buildcache";

/**
 * The workload's image repository. Tags are immutable, so a commit SHA always names the
 * same image (the deployer pins digests anyway); the build cache tag is the one exclusion.
 */
export const repository = new aws.ecr.Repository(
  "Registry",
  {
    imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
    imageTagMutabilityExclusionFilters: [{ filterType: "WILDCARD", filter: `${cacheTagPrefix}*` }],
    imageScanningConfiguration: { scanOnPush: true },
    encryptionConfigurations: [{ encryptionType: "AES256" }],
    // Dev stages can be removed with their images; production keeps them.
    forceDelete: !settings.retain,
  },
  { retainOnDelete: settings.retain, protect: settings.retain },
);

new aws.ecr.LifecyclePolicy("RegistryLifecycle", {
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
