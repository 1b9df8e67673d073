import { resolve } from "node:path";
import { defineConfig } from "vitest/config";

// Three tiers, each runnable alone (`vitest run --project unit`). Unit tests sit beside
// their code and never touch the network; integration and e2e run against real servers
// on 127.0.0.1 that the test command provisions.
const unitTests = [
  "packages/**/*.test.ts",
  "functions/**/*.test.ts",
  "grpc-app/src/**/*.test.ts",
  "scripts/**/*.test.ts",
  "bench/**/*.test.ts",
  "examples/**/*.test.ts",
];
const integrationTests = [
  "test/integration/**/*.test.ts",
  "test/kube/**/*.test.ts",
  "**/*.int.test.ts",
];
const e2eTests = ["test/e2e/**/*.test.ts"];
const excluded = ["**/node_modules/**", ".sst/**"];

// Infra tests load SST's real components under Pulumi mocks, with the provider versions SST
// deploys with (its own copies under .sst/platform, written by scripts/sst-types.sh).
const sstModules = ".sst/platform/node_modules";
const pulumiAliases = Object.fromEntries(
  ["pulumi", "aws", "random"].map((name) => [
    `@pulumi/${name}`,
    resolve(import.meta.dirname, sstModules, "@pulumi", name),
  ]),
);

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: unitTests,
          exclude: [...excluded, "**/*.int.test.ts"],
          // Unit tests are fast; the margin is for a loaded 2-core CI machine, not for slow tests.
          testTimeout: 20_000,
        },
      },
      {
        resolve: { alias: pulumiAliases },
        test: {
          name: "infra",
          include: ["infra/**/*.test.ts"],
          exclude: excluded,
          globalSetup: ["infra/test/global-setup.ts"],
          testTimeout: 30_000,
          // Loading SST and the providers takes 5-10 s, longer on a busy machine.
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "integration",
          include: integrationTests,
          exclude: excluded,
          globalSetup: ["test/kube/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          // Failure drills, short form by default (SLIPWAY_DRILL=long for the long form).
          name: "drill",
          include: ["test/drills/**/*.test.ts"],
          exclude: excluded,
          globalSetup: ["test/kube/global-setup.ts"],
          testTimeout: 600_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "e2e",
          include: e2eTests,
          exclude: excluded,
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
