/**
 * The dependency rules, checked in CI: arrows go from entry points (functions, the CLI) through
 * the wiring to adapters and core, never back; test doubles reach only tests; packages are
 * entered through their entry points; nothing imports in a circle.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const adapters = "^packages/(ledger|aws|kube|github)/";
// Every package's `exports`: its index, its `testing` doubles, the ledger's table layout, and
// the wiring's push side alone (the webhook's), and core's zod/mini with English messages.
const entryPoints =
  "^packages/([^/]+/src/(testing/)?index|ledger/src/ledger-table|wiring/src/push|core/src/model/zod)\\.ts$";
// What only an adapter may talk to: the vendors' clients.
const vendorClients = [
  "node_modules/@aws-sdk/",
  "node_modules/@kubernetes/",
  "node_modules/@octokit/",
];
const tests = "(\\.test\\.ts$|^test/|^bench/|^scripts/demo\\.ts$|^packages/[^/]+/src/testing/)";

module.exports = {
  forbidden: [
    {
      name: "core-is-pure",
      comment: "packages/core decides; it must not talk to AWS, Kubernetes, GitHub or gRPC.",
      severity: "error",
      from: { path: "^packages/core/", pathNot: tests },
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
      name: "core-tests-use-doubles-only",
      comment:
        "Core's tests run on the doubles beside each adapter (their `testing` entry points), never on an adapter itself.",
      severity: "error",
      from: {
        path: "^packages/core/",
        pathNot: "^packages/core/src/(index\\.ts|(?!testing/).*(?<!\\.test)\\.ts)$",
      },
      to: { path: "^packages/(?!core/)", pathNot: "^packages/[^/]+/src/testing/" },
    },
    {
      name: "core-has-no-node-io",
      comment: "Core receives time, randomness and I/O as arguments.",
      severity: "error",
      from: { path: "^packages/core/", pathNot: tests },
      to: { dependencyTypes: ["core"], path: "^(fs|net|http|https|child_process|dgram|dns)$" },
    },
    {
      name: "adapters-do-not-import-entry-points",
      comment: "Adapters serve core; they never reach up into the wiring, the CLI or a function.",
      severity: "error",
      from: { path: adapters },
      to: { path: ["^functions/", "^packages/(wiring|cli)/"] },
    },
    {
      name: "functions-go-through-the-wiring",
      comment:
        "A function reads its settings, asks the wiring for its adapters and calls core: it may name an adapter's types, but never builds an adapter itself.",
      severity: "error",
      from: { path: "^functions/", pathNot: tests },
      to: { path: [adapters, ...vendorClients], dependencyTypesNot: ["type-only"] },
    },
    {
      name: "cli-goes-through-the-wiring",
      comment: "The operator CLI builds its adapters with the same wiring as the functions.",
      severity: "error",
      from: { path: "^packages/cli/", pathNot: tests },
      to: { path: [adapters, ...vendorClients] },
    },
    {
      name: "functions-do-not-import-each-other",
      comment: "Each function folder stands alone; what two share lives in the wiring or in core.",
      severity: "error",
      from: { path: "^functions/([^/]+)/" },
      to: { path: "^functions/", pathNot: "^functions/$1/" },
    },
    {
      name: "doubles-only-in-tests",
      comment:
        "A `testing` entry point (test doubles, contracts, stand-ins) is for tests, the bench and the demo; production code never carries a double.",
      severity: "error",
      from: { pathNot: tests },
      to: { path: "^packages/[^/]+/src/testing/" },
    },
    {
      name: "packages-are-entered-through-their-entry-points",
      comment:
        "Outside a package, import `@slipway/<name>` or `@slipway/<name>/testing`, never a file inside it.",
      severity: "error",
      from: { path: "^(?!packages/)" },
      to: { path: "^packages/[^/]+/src/", pathNot: entryPoints },
    },
    {
      name: "packages-enter-each-other-through-their-entry-points",
      severity: "error",
      from: { path: "^packages/([^/]+)/" },
      to: {
        path: "^packages/[^/]+/src/",
        pathNot: ["^packages/$1/", entryPoints],
      },
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
