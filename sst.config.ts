/// <reference path="./.sst/platform/config.d.ts" />

/**
 * One Slipway stage: `sst deploy --stage <stage>`. Reads like the system diagram, in order:
 * the network, the cluster on it, the registry and build that make images, the deployer
 * that rolls them out and its lifecycle events, the database the workload uses, and the workload's objects.
 * Per-stage settings live in infra/settings.ts.
 */
export default $config({
  app(input) {
    const production = input?.stage === "production";
    return {
      name: "slipway",
      home: "aws",
      // SST's default removal deletes EKS and ECR; production keeps and protects them.
      removal: production ? "retain" : "remove",
      protect: production,
      providers: { aws: "7.20.0", kubernetes: "4.23.0", random: "4.16.6" },
    };
  },
  async run() {
    const network = await import("./infra/network");
    const cluster = await import("./infra/cluster");
    const registry = await import("./infra/registry");
    const build = await import("./infra/build");
    await import("./infra/alerts");
    const events = await import("./infra/events");
    const deployer = await import("./infra/deployer");
    await import("./infra/database");
    await import("./infra/workload");
    const { stageSettings } = await import("./infra/settings");
    const domain = stageSettings($app.stage).domain;

    return {
      webhookUrl: deployer.webhook.url,
      registry: registry.repository.repositoryUrl,
      cluster: cluster.cluster.name,
      buildProject: build.project.name,
      vpc: network.vpc.id,
      lifecycleBus: events.bus.name,
      appUrl: domain ? `https://${domain}` : "see `kubectl -n chat get ingress chat-web`",
    };
  },
});
