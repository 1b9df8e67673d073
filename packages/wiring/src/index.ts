// The one wiring: every production adapter is built here, from settings, for the Lambda
// functions and the operator CLI alike (timeouts, GitHub App or token, the lifecycle bus).

export type { ClusterAccess } from "@slipway/kube";
export type { AdapterLog } from "./adapter-log.ts";
export { awsClientConfig } from "./aws-client-config.ts";
export {
  DeployConfigError,
  DeployEnv,
  type DeploySettings,
  readDeploySettings,
} from "./deploy-settings.ts";
export {
  type DeployerAdapterSettings,
  unconfiguredGitHub,
  wireDeployerAdapters,
} from "./deployer-adapters.ts";
export {
  GitHubEnv,
  type GitHubSettings,
  gitHubSettingsIfAny,
  hasGitHubCredentials,
  readGitHubSettings,
} from "./github-settings.ts";
export {
  type LifecycleFlush,
  type LifecycleSettings,
  publishingLedger,
  readLifecycleSettings,
} from "./lifecycle-publishing.ts";
export { withLinkedSecrets } from "./linked-secrets.ts";
export { settingsIssues } from "./settings-issues.ts";
export { type ApplyManifestsSettings, wireApplyManifests } from "./wire-apply-manifests.ts";
export { wireDeploy } from "./wire-deploy.ts";
export { type OperatorSettings, wireOperator } from "./wire-operator.ts";
export { type PushSettings, type PushWiring, wirePush } from "./wire-push.ts";
