export { translateAwsError } from "./aws-errors.ts";
export { createCodeBuildBuilds } from "./codebuild-builds.ts";
export { codebuildLogUrl } from "./codebuild-log-url.ts";
export { createEcrImageRegistry } from "./ecr-image-registry.ts";
export { createEksCluster, type EksClusterOptions, type EksConnection } from "./eks-cluster.ts";
export {
  type EksTokenInput,
  eksToken,
  eksTokenUrlExpiresSeconds,
  eksTokenValidSeconds,
  stsHostname,
} from "./eks-token.ts";
export {
  createEventBridgePublisher,
  maxEntryBytes,
  type PublisherOptions,
} from "./eventbridge-publisher.ts";
export { createSecretValues, type SecretValues } from "./secret-values.ts";
