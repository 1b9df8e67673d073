// The push side's wiring alone, for the webhook function. A bundle with code splitting keeps
// the chunk of every dynamic import that any module it reaches contains, even one only dead
// code calls, so entering through the full index would ship the deploy side's kubeconfig
// reader (@kubernetes/client-node with undici, 1.4 MB) in the webhook's package.

export type { AdapterLog } from "./adapter-log.ts";
export {
  GitHubEnv,
  type GitHubSettings,
  hasGitHubCredentials,
  readGitHubSettings,
} from "./github-settings.ts";
export {
  type LifecycleFlush,
  type LifecycleSettings,
  readLifecycleSettings,
} from "./lifecycle-publishing.ts";
export { withLinkedSecrets } from "./linked-secrets.ts";
export { settingsIssues } from "./settings-issues.ts";
export { type PushSettings, type PushWiring, wirePush } from "./wire-push.ts";
