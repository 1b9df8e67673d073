/**
 * The dependency rule, checked in CI: arrows go from adapters and handlers to the core,
 * never back, and nothing imports in a circle.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: "core-is-pure",
      comment: "packages/core decides; it must not talk to AWS, Kubernetes, GitHub or gRPC.",
      severity: "error",
      from: { path: "^packages/core/" },
      to: {
        path: [
          "node_modules/@aws-sdk/",
          "node_modules/@smithy/",
          "node_modules/@kubernetes/",
          "node_modules/@octokit/",
          "node_modules/@grpc/",
          "node_modules/pg/",
          "^packages/(?!core/)",
          "^functions/",
          "^grpc-app/",
        ],
      },
    },
    {
      name: "core-has-no-node-io",
      comment: "Core receives time, randomness and I/O as arguments.",
      severity: "error",
      from: { path: "^packages/core/", pathNot: "\\.test\\.ts$" },
      to: { dependencyTypes: ["core"], path: "^(fs|net|http|https|child_process|dgram|dns)$" },
    },
    {
      name: "adapters-do-not-import-handlers",
      severity: "error",
      from: { path: "^packages/" },
      to: { path: "^functions/" },
    },
    {
      name: "no-circular",
      severity: "error",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(\\.sst|gen)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".json"],
    },
  },
};
