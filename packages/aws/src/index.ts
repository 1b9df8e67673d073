export { BuildServiceError, createCodeBuildBuilds } from "./codebuild-builds.ts";
export { codebuildLogUrl } from "./codebuild-log-url.ts";
export { type EksTokenInput, eksToken, eksTokenLifetimeSeconds } from "./eks-token.ts";
export {
  createEventBridgePublisher,
  maxEntryBytes,
  type PublisherOptions,
} from "./eventbridge-publisher.ts";
