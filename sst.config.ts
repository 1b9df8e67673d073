/// <reference path="./.sst/platform/config.d.ts" />

/**
 * One Slipway stage: `sst deploy --stage <stage>`. Reads like the system diagram, in order:
 * the network, the cluster on it, the registry and build that make images, the deployer
 * that rolls them out and its lifecycle events, the database the workload uses, and the
 * services' objects inside the cluster. Per-stage settings live in infra/settings.ts, and the
 * services it deploys in infra/services/ (one file each).
 */
export default $config({
  async app(input) {
    const { stageSettings } = await import("./infra/settings");
    // Refuses an unknown stage (a typo must not get dev's settings) before anything runs.
    const settings = stageSettings(input?.stage ?? "");
    return {
      name: "slipway",
      home: "aws",
      // SST's default removal deletes EKS and ECR; retained stages keep and protect them.
      removal: settings.retain ? "retain" : "remove",
      protect: settings.retain,
      providers: { aws: "7.20.0", random: "4.16.6" },
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
    const { services, stageSettings } = await import("./infra/settings");
    const { domain, certificateArn } = stageSettings($app.stage);
    const declared = services();
    const byService = <T>(each: (name: string) => T) =>
      Object.fromEntries(declared.map((s) => [s.name, each(s.name)]));

    return {
      // stage and region (with ledgerTable and cluster) let the operator CLI find this stage
      // from .sst/outputs.json.
      stage: $app.stage,
      region: aws.getRegionOutput().region,
      webhookUrl: deployer.webhook.url,
      // Per service: its image repository and its CodeBuild project.
      registries: byService((name) => registry.registries[name]?.repositoryUrl),
      cluster: cluster.cluster.name,
      buildProjects: byService((name) => build.projects[name]?.name),
      // The operator CLI reads each service's Deployments from here (`--service`).
      services: declared.map((service) => ({
        name: service.name,
        registry: registry.registries[service.name]?.repositoryUrl,
        deployments: service.deployments.flatMap((d) =>
          d.containers.map((container) => ({
            namespace: service.namespace,
            name: d.name,
            container,
          })),
        ),
      })),
      vpc: network.vpc.id,
      ledgerTable: deployer.ledger.name,
      lifecycleBus: events.bus.name,
      appUrl: domain
        ? `https://${domain}`
        : certificateArn
          ? "the ALB's DNS name: `kubectl -n chat get ingress chat-web`"
          : "internal ALB: `sst tunnel`, then http://<`kubectl -n chat get ingress chat-web`>",
    };
  },
});
