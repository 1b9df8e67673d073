export {
  createGitHubClient,
  type GitHubClient,
  type GitHubClientOptions,
  type GitHubCredentials,
} from "./github-client.ts";
export { createGitHubReporter } from "./github-reporter.ts";
export {
  DeliveryHeaders,
  readWebhookDelivery,
  type WebhookOptions,
  WebhookRequest,
} from "./read-webhook-delivery.ts";
