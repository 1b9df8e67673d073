// The one wiring: every production adapter is built here, from settings, for the Lambda
// functions and the operator CLI alike (timeouts, GitHub App or token, the lifecycle bus).
// The push side is ./push.ts (the webhook's own entry); this index adds the deploy side.

export type { ClusterAccess } from "@slipway/kube";
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
export { gitHubSettingsIfAny } from "./github-settings.ts";
export { publishingLedger } from "./lifecycle-publishing.ts";
export * from "./push.ts";
export { type ApplyManifestsSettings, wireApplyManifests } from "./wire-apply-manifests.ts";
export { wireDeploy } from "./wire-deploy.ts";
export { type OperatorSettings, wireOperator } from "./wire-operator.ts";
